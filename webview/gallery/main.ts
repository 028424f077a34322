// The gallery page: a prompt form (vscode-elements) and an image grid. It owns no data: it says
// `ready`, receives everything by message, and asks the extension to generate.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { unreachable, type ExtensionToWebview, type GalleryForm, type GalleryImage } from '../../protocol/webview';
import type { SamplerName } from '../../protocol/vocabulary';
import './gallery.css';
import { buildPage, type Page } from './page';

const vscode = acquireVsCodeApi();
const page: Page = buildPage(document.getElementById('app')!);

function readForm(): GalleryForm {
  const int = (el: { value: string }, fallback: number, min: number, max: number) => {
    const n = Number.parseInt(el.value, 10);
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
  };
  return {
    prompt: page.prompt.value.trim(),
    negativePrompt: page.negative.value.trim(),
    seed: int(page.seed, 42, 0, 2 ** 32 - 1),
    steps: int(page.steps, 25, 1, 200),
    sampler: page.sampler.value as SamplerName,
    count: int(page.count, 1, 1, 16),
    // SD works in multiples of 8 pixels (the VAE's downsampling factor).
    width: Math.round(int(page.width, 512, 8, 2048) / 8) * 8,
    height: Math.round(int(page.height, 512, 8, 2048) / 8) * 8,
  };
}

function fillForm(form: GalleryForm, samplers: readonly SamplerName[]): void {
  page.prompt.value = form.prompt;
  page.negative.value = form.negativePrompt;
  page.seed.value = String(form.seed);
  page.steps.value = String(form.steps);
  page.count.value = String(form.count);
  page.width.value = String(form.width);
  page.height.value = String(form.height);
  page.sampler.replaceChildren(
    ...samplers.map((s) => {
      const option = document.createElement('vscode-option');
      option.textContent = s;
      option.setAttribute('value', s);
      if (s === form.sampler) option.setAttribute('selected', '');
      return option;
    }),
  );
  page.sampler.value = form.sampler;
}

function addImages(images: GalleryImage[], atStart: boolean): void {
  const figures = images.map((img) => {
    const figure = document.createElement('figure');
    const el = document.createElement('img');
    el.src = img.src;
    el.alt = img.label;
    el.loading = 'lazy';
    const caption = document.createElement('figcaption');
    caption.textContent = img.label;
    figure.append(el, caption);
    return figure;
  });
  if (atStart) page.grid.prepend(...figures);
  else page.grid.append(...figures);
  page.empty.hidden = page.grid.childElementCount > 0;
}

function setBusy(busy: boolean): void {
  page.generate.toggleAttribute('disabled', busy);
  page.cancel.hidden = !busy;
  page.progress.hidden = !busy;
}

function onMessage(message: ExtensionToWebview): void {
  switch (message.type) {
    case 'init':
      fillForm((vscode.getState() as GalleryForm | undefined) ?? message.form, message.samplers);
      page.model.textContent = `Model: ${message.model}`;
      page.grid.replaceChildren();
      addImages(message.images, false);
      page.status.textContent = 'Ready.';
      document.body.dataset.ready = 'true';
      return;
    case 'started':
      setBusy(true);
      page.progress.removeAttribute('value');
      page.status.textContent = 'Starting…';
      return;
    case 'progress': {
      const eta = message.etaSeconds !== undefined ? ` · about ${Math.ceil(message.etaSeconds)} s left` : '';
      page.status.textContent = `${message.phase} ${message.step}/${message.total}${eta}${message.message ? ` · ${message.message}` : ''}`;
      if (message.total > 0) page.progress.setAttribute('value', String((100 * message.step) / message.total));
      return;
    }
    case 'images':
      addImages(message.images, true);
      return;
    case 'finished':
      setBusy(false);
      page.status.textContent =
        message.status === 'done' ? 'Done.' : message.status === 'cancelled' ? 'Cancelled.' : `Failed: ${message.error ?? 'unknown error'}`;
      page.status.classList.toggle('error', message.status === 'failed');
      return;
    default:
      unreachable(message);
  }
}

window.addEventListener('message', (e: MessageEvent<ExtensionToWebview>) => onMessage(e.data));
page.generate.addEventListener('click', () => {
  const form = readForm();
  if (!form.prompt) {
    page.status.textContent = 'Write a prompt first.';
    return;
  }
  vscode.setState(form);
  page.status.classList.remove('error');
  vscode.postMessage({ type: 'generate', form });
});
page.cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
vscode.postMessage({ type: 'ready' });
