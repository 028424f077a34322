// The enlarged image (click a thumbnail) with its PNG parameters: ←/→ step through the gallery's
// images, Esc closes and gives focus back to the thumbnail. The parameters come from the extension
// (the page cannot read files); a dropped or opened PNG shows its parameters without an image.
import type { GalleryImage, ImageParameters } from '../../protocol/webview';
import type { Viewer } from './page';

export interface ViewerHost {
  /** The images in grid order. */
  images(): GalleryImage[];
  requestParameters(file: string): void;
  use(parameters: ImageParameters): void;
  copy(text: string): void;
  reveal(file: string): void;
  /** The thumbnail of an image, to give focus back to. */
  thumbnail(file: string): HTMLElement | undefined;
}

export class ImageViewer {
  private index = -1;
  private file: string | undefined;
  private parameters: ImageParameters | undefined;

  constructor(
    private readonly v: Viewer,
    private readonly host: ViewerHost,
  ) {
    v.prev.addEventListener('click', () => this.step(-1));
    v.next.addEventListener('click', () => this.step(1));
    v.close.addEventListener('click', () => this.close());
    v.use.addEventListener('click', () => this.parameters && host.use(this.parameters));
    v.copy.addEventListener('click', () => this.parameters && host.copy(this.parameters.text));
    v.reveal.addEventListener('click', () => this.file && host.reveal(this.file));
    v.root.addEventListener('keydown', (e) => {
      const keys: Record<string, () => void> = { ArrowLeft: () => this.step(-1), ArrowRight: () => this.step(1), Escape: () => this.close() };
      // Arrow keys inside the parameters text move its caret, not the image.
      if (e.key !== 'Escape' && (e.target as HTMLElement).closest('#params-text')) return;
      const act = keys[e.key];
      if (act) {
        e.preventDefault();
        act();
      }
    });
  }

  get isOpen(): boolean {
    return !this.v.root.hidden;
  }

  open(file: string): void {
    const images = this.host.images();
    this.index = images.findIndex((i) => i.file === file);
    const image = images[this.index];
    if (!image) return;
    this.file = image.file;
    this.v.image.hidden = false;
    this.v.image.src = image.src;
    this.v.image.alt = image.label;
    this.v.caption.textContent = `${image.label} (${this.index + 1} of ${images.length})`;
    this.v.prev.toggleAttribute('disabled', this.index <= 0);
    this.v.next.toggleAttribute('disabled', this.index >= images.length - 1);
    this.v.reveal.hidden = false;
    this.setParameters(undefined, 'Reading parameters…');
    this.show();
    this.host.requestParameters(image.file);
  }

  /** Parameters of a PNG that is not in the gallery (dropped, opened from disk). */
  openParameters(parameters: ImageParameters): void {
    this.index = -1;
    this.file = undefined;
    this.v.image.hidden = true;
    this.v.image.removeAttribute('src');
    this.v.caption.textContent = parameters.source;
    this.v.prev.setAttribute('disabled', '');
    this.v.next.setAttribute('disabled', '');
    this.v.reveal.hidden = true;
    this.setParameters(parameters);
    this.show();
  }

  /** Parameters that arrived for the image on show (a late answer for another image is dropped). */
  received(parameters: ImageParameters): void {
    if (!this.isOpen) return this.openParameters(parameters);
    const current = this.host.images()[this.index];
    if (current && current.label !== parameters.source) return;
    this.setParameters(parameters);
  }

  failed(text: string): void {
    if (this.isOpen && !this.parameters) this.setParameters(undefined, text);
  }

  close(): void {
    if (!this.isOpen) return;
    this.v.root.hidden = true;
    const thumb = this.file && this.host.thumbnail(this.file);
    (thumb || document.body).focus();
  }

  private step(delta: number): void {
    const next = this.host.images()[this.index + delta];
    if (next) this.open(next.file);
  }

  private show(): void {
    this.v.root.hidden = false;
    this.v.root.focus();
  }

  private setParameters(parameters: ImageParameters | undefined, placeholder = ''): void {
    this.parameters = parameters;
    this.v.text.textContent = parameters?.text ?? placeholder;
    this.v.notes.replaceChildren(
      ...(parameters?.notes ?? []).map((n) => {
        const li = document.createElement('li');
        li.textContent = n;
        return li;
      }),
    );
    this.v.use.toggleAttribute('disabled', !parameters);
    this.v.copy.toggleAttribute('disabled', !parameters);
  }
}
