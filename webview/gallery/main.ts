// The gallery page: the form (vscode-elements), the image grid, the history and the image viewer.
// It owns no data: it says `ready`, receives everything by message, and asks the extension to
// generate, to read a PNG's parameters, to pick files and to reveal them.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { unreachable, type ExtensionToWebview, type GalleryForm, type GalleryImage, type HistoryEntry } from '../../protocol/webview';
import './gallery.css';
import { choices, fillForm, readForm, setChoices, setSamplers } from './form';
import { el } from '../dom';
import { buildPage, type Page } from './page';
import { ImageViewer } from './viewer';

interface SavedState {
  form?: Partial<GalleryForm>;
  conceptFile?: string;
}

const vscode = acquireVsCodeApi();
const page: Page = buildPage(document.getElementById('app')!);
const viewer = new ImageViewer(page.viewer, {
  images: () => Array.from(page.grid.querySelectorAll<HTMLImageElement>('img')).map((img) => ({ src: img.src, label: img.alt, file: img.dataset.file! })),
  requestParameters: (file) => vscode.postMessage({ type: 'parameters', file }),
  use: (p) => {
    fillForm(page, p.form);
    save();
    viewer.close();
    setStatus(p.notes.length ? `Settings of ${p.source} applied; ${p.notes.join(' ')}` : `Settings of ${p.source} applied.`, false);
  },
  copy: (text) => vscode.postMessage({ type: 'copy', text }),
  reveal: (file) => vscode.postMessage({ type: 'reveal', file }),
  thumbnail: (file) => page.grid.querySelector<HTMLElement>(`img[data-file="${CSS.escape(file)}"]`) ?? undefined,
});

/** The defaults the extension sent, for fields left empty or invalid. */
let defaults: GalleryForm | undefined;
let conceptFile: string | undefined;

function save(): void {
  if (defaults) vscode.setState({ form: readForm(page, defaults), conceptFile } satisfies SavedState);
}

function setStatus(text: string, error: boolean): void {
  page.status.textContent = text;
  page.status.classList.toggle('error', error);
}

function thumbnail(img: GalleryImage): HTMLElement {
  const figure = el('figure');
  const image = el<HTMLImageElement>('img', { tabindex: '0', role: 'button', title: 'Enlarge and show its parameters' });
  image.src = img.src;
  image.alt = img.label;
  image.dataset.file = img.file;
  image.addEventListener('click', () => viewer.open(img.file));
  image.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      viewer.open(img.file);
    }
  });
  figure.append(image, el('figcaption', {}, img.label));
  return figure;
}

function addImages(images: GalleryImage[], atStart: boolean): void {
  const known = new Set(Array.from(page.grid.querySelectorAll<HTMLImageElement>('img')).map((i) => i.dataset.file));
  const figures = images.filter((i) => !known.has(i.file)).map(thumbnail);
  if (atStart) page.grid.prepend(...figures);
  else page.grid.append(...figures);
  page.empty.hidden = page.grid.childElementCount > 0;
}

function showHistory(history: HistoryEntry[]): void {
  page.history.replaceChildren(
    ...history.map((h) => {
      const li = el('li');
      const when = new Date(h.time).toLocaleString();
      const lora = h.form.lora ? ` · LoRA ${h.form.lora.split(/[/\\]/).pop()}:${h.form.loraScale}` : '';
      li.append(el('div', { class: 'history-title' }, `${when} · ${h.status} · ${h.form.prompt || '(no prompt)'}`));
      li.append(el('div', { class: 'history-detail' }, `seed ${h.form.seed} · ${h.form.steps} steps · guidance ${h.form.guidance} · ${h.form.sampler} · ${h.form.width}×${h.form.height}${lora}`));
      const thumbs = el('div', { class: 'history-images' });
      for (const img of h.images) {
        const t = el<HTMLImageElement>('img', { alt: img.label, title: img.label });
        t.src = img.src;
        thumbs.append(t);
      }
      const use = el('vscode-button', { secondary: '', class: 'history-use' }, 'Use these settings');
      use.addEventListener('click', () => {
        fillForm(page, h.form);
        save();
        setStatus(`Settings of ${when} applied.`, false);
      });
      li.append(thumbs, use);
      return li;
    }),
  );
  page.clearHistory.hidden = history.length === 0;
}

function setBusy(busy: boolean): void {
  page.generate.toggleAttribute('disabled', busy);
  page.cancel.hidden = !busy;
  page.progress.hidden = !busy;
  document.body.dataset.busy = String(busy);
}

function showProgress(m: { phase: string; step: number; total: number; etaSeconds?: number; message?: string }): void {
  const eta = m.etaSeconds !== undefined ? ` · about ${Math.ceil(m.etaSeconds)} s left` : '';
  setStatus(`${m.phase} ${m.step}/${m.total}${eta}${m.message ? ` · ${m.message}` : ''}`, false);
  if (m.total > 0) page.progress.setAttribute('value', String((100 * m.step) / m.total));
}

function onMessage(message: ExtensionToWebview): void {
  switch (message.type) {
    case 'init': {
      defaults = message.form;
      conceptFile = message.concept;
      const saved = vscode.getState() as SavedState | undefined;
      // A saved form of another concept file is not this one's; a saved form from before a field
      // existed lacks it: the defaults fill what is missing.
      const form = { ...message.form, ...(saved?.conceptFile === conceptFile ? saved?.form : {}) };
      setSamplers(page, message.samplers, form.sampler);
      setChoices(page, message.models, message.loras);
      fillForm(page, form);
      page.concept.textContent = conceptFile ? `Concept file: ${conceptFile}` : 'No concept file: open one to use its model, LoRA exports and history.';
      page.grid.replaceChildren();
      addImages(message.images, false);
      showHistory(message.history);
      save();
      if (message.running) {
        setBusy(true);
        addImages(message.running.images, true);
        if (message.running.progress) showProgress(message.running.progress);
        else setStatus('Starting…', false);
      } else {
        setBusy(false);
        setStatus('Ready.', false);
      }
      document.body.dataset.ready = 'true';
      return;
    }
    case 'choices':
      setChoices(page, message.models, message.loras);
      fillForm(page, message.select ?? {});
      save();
      return;
    case 'started':
      setBusy(true);
      page.progress.removeAttribute('value');
      setStatus('Starting…', false);
      return;
    case 'progress':
      return showProgress(message);
    case 'images':
      return addImages(message.images, true);
    case 'finished':
      setBusy(false);
      setStatus(message.status === 'done' ? 'Done.' : message.status === 'cancelled' ? 'Cancelled.' : `Failed: ${message.error ?? 'unknown error'}`, message.status === 'failed');
      return;
    case 'history':
      return showHistory(message.history);
    case 'parameters':
      return viewer.received(message.parameters);
    case 'notice':
      viewer.failed(message.text);
      return setStatus(message.text, message.error);
    default:
      unreachable(message);
  }
}

window.addEventListener('message', (e: MessageEvent<ExtensionToWebview>) => onMessage(e.data));
page.generate.addEventListener('click', () => {
  if (!defaults) return;
  const form = readForm(page, defaults);
  if (!form.prompt) return setStatus('Write a prompt first.', true);
  save();
  setStatus('Starting…', false);
  vscode.postMessage({ type: 'generate', form });
});
page.cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
page.browseModel.addEventListener('click', () => vscode.postMessage({ type: 'browseModel' }));
page.browseLora.addEventListener('click', () => vscode.postMessage({ type: 'browseLora' }));
page.randomSeed.addEventListener('click', () => {
  page.seed.value = '-1';
  save();
});
page.modelPick.addEventListener('change', () => {
  const c = choices.models[Number(page.modelPick.value)];
  if (c) page.model.value = c.value;
  save();
});
page.clearHistory.addEventListener('click', () => vscode.postMessage({ type: 'clearHistory' }));
document.getElementById('form')!.addEventListener('change', save);

/** The first URI of a drop: VS Code's own list (JSON) or the standard text/uri-list. */
function droppedUri(dt: DataTransfer): string | undefined {
  try {
    const code = dt.getData('application/vnd.code.uri-list');
    if (code) return (JSON.parse(code) as string[])[0];
  } catch {
    // not VS Code's format: try the standard one
  }
  return dt.getData('text/uri-list').split(/\r?\n/).find((l) => l && !l.startsWith('#'));
}

// A PNG dropped on the panel: from the Explorer (hold Shift) a URI, from the OS a file the page can read.
document.addEventListener('dragover', (e) => e.preventDefault());
document.addEventListener('drop', (e) => {
  e.preventDefault();
  const dt = e.dataTransfer;
  if (!dt) return;
  const file = dt.files[0];
  if (file) {
    void file.arrayBuffer().then((b) => vscode.postMessage({ type: 'droppedPng', name: file.name, bytes: new Uint8Array(b) }));
    return;
  }
  const uri = droppedUri(dt);
  if (uri) vscode.postMessage({ type: 'openPng', uri });
  else setStatus('Drop a PNG file (from the Explorer, hold Shift while dropping).', true);
});
vscode.postMessage({ type: 'ready' });
