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

/** The defaults the extension sent (the schema's), for fields left empty or invalid. */
let defaults: GalleryForm | undefined;

function readForm(): GalleryForm {
  const d = defaults!;
  const num = (el: { value: string }, fallback: number, min: number, max: number, integer = true) => {
    const n = integer ? Number.parseInt(el.value, 10) : Number.parseFloat(el.value);
    return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
  };
  return {
    prompt: page.prompt.value.trim(),
    negativePrompt: page.negative.value.trim(),
    seed: num(page.seed, d.seed, -1, 2 ** 32 - 1),
    steps: num(page.steps, d.steps, 1, 200),
    guidance: num(page.guidance, d.guidance, 0, 50, false),
    sampler: page.sampler.value as SamplerName,
    count: num(page.count, d.count, 1, 16),
    // SD works in multiples of 8 pixels (the VAE's downsampling factor).
    width: Math.round(num(page.width, d.width, 8, 2048) / 8) * 8,
    height: Math.round(num(page.height, d.height, 8, 2048) / 8) * 8,
  };
}

function fillForm(form: GalleryForm, samplers: readonly SamplerName[]): void {
  page.prompt.value = form.prompt;
  page.negative.value = form.negativePrompt;
  page.seed.value = String(form.seed);
  page.steps.value = String(form.steps);
  page.guidance.value = String(form.guidance);
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
      defaults = message.form;
      // A saved form from before guidance existed lacks it: the defaults fill what is missing.
      fillForm({ ...message.form, ...(vscode.getState() as Partial<GalleryForm> | undefined) }, message.samplers);
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
