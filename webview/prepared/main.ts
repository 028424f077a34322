// The Prepared Images page: per concept, each photo's crop with its warnings (or why it was skipped),
// the files ignored, and the class images. Everything arrives by message; the page can ask to
// prepare again and to reveal a file.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import { unreachable, type ExtensionToPrepared, type GalleryImage, type PreparedConceptView, type PreparedToExtension, type PreparedView } from '../../protocol/webview';
import { el } from '../dom';
import './prepared.css';

declare function acquireVsCodeApi(): { postMessage(message: PreparedToExtension): void; setState(state: unknown): void };
const vscode = acquireVsCodeApi();

const root = document.getElementById('app')!;
const heading = el('h1', {}, 'Prepared Images');
const concept = el('div', { id: 'concept' });
const prepare = el('vscode-button', { id: 'prepare' }, 'Prepare images');
const progress = el('vscode-progress-bar', { id: 'progress' });
const status = el('div', { id: 'status', role: 'status' }, 'Loading…');
const content = el('div', { id: 'content' });
const actions = el('div', { class: 'actions' });
actions.append(prepare, status);
progress.hidden = true;
root.append(heading, concept, actions, progress, content);
prepare.addEventListener('click', () => vscode.postMessage({ type: 'prepare' }));

function figure(img: GalleryImage | undefined, caption: string, notes: string[], kind: 'ok' | 'warn' | 'skipped'): HTMLElement {
  const f = el('figure', { class: kind });
  if (img) {
    const image = el<HTMLImageElement>('img', { alt: caption, title: `${img.file} (double-click to reveal)` });
    image.src = img.src;
    image.addEventListener('dblclick', () => vscode.postMessage({ type: 'reveal', file: img.file }));
    f.append(image);
  } else f.append(el('div', { class: 'no-image' }, 'not used'));
  f.append(el('figcaption', {}, caption));
  if (notes.length) {
    const ul = el('ul', { class: 'notes' });
    for (const n of notes) ul.append(el('li', {}, n));
    f.append(ul);
  }
  return f;
}

function conceptSection(c: PreparedConceptView): HTMLElement {
  const s = el('section', { class: 'concept', 'aria-label': c.name });
  const used = c.photos.filter((p) => p.crop).length;
  const warned = c.photos.filter((p) => p.warnings.length || p.skipped).length + c.ignored.length;
  s.append(el('h2', {}, `${c.name}: ${used} photo(s) used${warned ? `, ${warned} with a warning` : ''}`), el('div', { class: 'folder' }, c.instanceImages));
  const grid = el('div', { class: 'grid photos' });
  for (const p of c.photos) {
    if (p.skipped) grid.append(figure(undefined, p.name, [`skipped: ${p.skipped}`], 'skipped'));
    else grid.append(figure(p.crop, p.name, p.warnings, p.warnings.length ? 'warn' : 'ok'));
  }
  for (const name of c.ignored) grid.append(figure(undefined, name, ['not an image: ignored by training'], 'skipped'));
  s.append(grid);
  if (c.numClassImages > 0 || c.classCount > 0) {
    const shown = c.classes.length < c.classCount ? ` (first ${c.classes.length} shown)` : '';
    s.append(el('h3', {}, `Class images: ${c.classCount} of ${c.numClassImages}${shown}`), el('div', { class: 'folder' }, c.classImages));
    const classes = el('div', { class: 'grid classes' });
    for (const img of c.classes) classes.append(figure(img, img.label, [], 'ok'));
    s.append(classes);
  }
  return s;
}

function show(view: PreparedView): void {
  if (view.state === 'missing') {
    content.replaceChildren(el('p', { id: 'missing' }, view.reason));
    return;
  }
  content.replaceChildren(el('p', { class: 'meta' }, `${view.resolution}×${view.resolution} crops, prepared ${new Date(view.time).toLocaleString()}`), ...view.concepts.map(conceptSection));
}

function setBusy(busy: boolean): void {
  prepare.toggleAttribute('disabled', busy);
  progress.hidden = !busy;
  status.textContent = busy ? 'Preparing…' : '';
}

window.addEventListener('message', (e: MessageEvent<ExtensionToPrepared>) => {
  const m = e.data;
  switch (m.type) {
    case 'show':
      vscode.setState({ conceptFile: m.concept });
      concept.textContent = `Concept file: ${m.concept}`;
      show(m.view);
      setBusy(m.busy);
      document.body.dataset.ready = 'true';
      return;
    case 'busy':
      return setBusy(m.busy);
    default:
      unreachable(m);
  }
});
vscode.postMessage({ type: 'ready' });
