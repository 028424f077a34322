// The gallery's DOM, built once with vscode-elements; main.ts only fills it.
import { el } from '../dom';

export interface ValueElement extends HTMLElement {
  value: string;
}
export interface Page {
  concept: HTMLElement;
  model: ValueElement;
  modelPick: ValueElement;
  browseModel: HTMLElement;
  lora: ValueElement;
  browseLora: HTMLElement;
  loraScale: ValueElement;
  prompt: ValueElement;
  negative: ValueElement;
  seed: ValueElement;
  randomSeed: HTMLElement;
  steps: ValueElement;
  guidance: ValueElement;
  count: ValueElement;
  width: ValueElement;
  height: ValueElement;
  sampler: ValueElement;
  generate: HTMLElement;
  cancel: HTMLElement;
  progress: HTMLElement;
  status: HTMLElement;
  grid: HTMLElement;
  empty: HTMLElement;
  history: HTMLElement;
  clearHistory: HTMLElement;
  viewer: Viewer;
}
/** The enlarged image with its PNG parameters (also shown alone, for a dropped or opened PNG). */
export interface Viewer {
  root: HTMLElement;
  image: HTMLImageElement;
  caption: HTMLElement;
  prev: HTMLElement;
  next: HTMLElement;
  close: HTMLElement;
  text: HTMLElement;
  notes: HTMLElement;
  use: HTMLElement;
  copy: HTMLElement;
  reveal: HTMLElement;
}


function field(label: string, control: HTMLElement, wide = false, ...more: HTMLElement[]): HTMLElement {
  const wrap = el('div', { class: wide ? 'field wide' : 'field' });
  const line = el('div', { class: 'inline' });
  line.append(control, ...more);
  wrap.append(el('vscode-label', { for: control.id }, label), more.length ? line : control);
  return wrap;
}

function buildViewer(): Viewer {
  const v: Viewer = {
    root: el('div', { id: 'viewer', role: 'dialog', 'aria-modal': 'true', 'aria-label': 'Image and parameters', tabindex: '-1' }),
    image: el<HTMLImageElement>('img', { id: 'viewer-image', alt: '' }),
    caption: el('div', { id: 'viewer-caption' }),
    prev: el('vscode-button', { id: 'viewer-prev', secondary: '', title: 'Previous image (←)' }, '←'),
    next: el('vscode-button', { id: 'viewer-next', secondary: '', title: 'Next image (→)' }, '→'),
    close: el('vscode-button', { id: 'viewer-close', secondary: '', title: 'Close (Esc)' }, 'Close'),
    text: el('pre', { id: 'params-text' }),
    notes: el('ul', { id: 'params-notes' }),
    use: el('vscode-button', { id: 'use-settings' }, 'Use these settings'),
    copy: el('vscode-button', { id: 'copy-params', secondary: '' }, 'Copy'),
    reveal: el('vscode-button', { id: 'reveal', secondary: '' }, 'Reveal file'),
  };
  const nav = el('div', { class: 'actions' });
  nav.append(v.prev, v.next, v.caption, v.close);
  const actions = el('div', { class: 'actions' });
  actions.append(v.use, v.copy, v.reveal);
  const params = el('section', { id: 'params', 'aria-label': 'PNG parameters' });
  params.append(el('h2', {}, 'Parameters'), v.text, v.notes, actions);
  const body = el('div', { class: 'viewer-body' });
  body.append(v.image, params);
  v.root.append(nav, body);
  v.root.hidden = true;
  return v;
}

export function buildPage(root: HTMLElement): Page {
  const p: Page = {
    concept: el('div', { id: 'concept' }),
    model: el('vscode-textfield', { id: 'model', placeholder: 'Hub id (owner/name), diffusers folder or .safetensors file' }),
    modelPick: el('vscode-single-select', { id: 'model-pick', title: 'Models of the concept file, the settings, the Hugging Face cache and chosen before' }),
    browseModel: el('vscode-button', { id: 'browse-model', secondary: '' }, 'Browse…'),
    lora: el('vscode-single-select', { id: 'lora' }),
    browseLora: el('vscode-button', { id: 'browse-lora', secondary: '' }, 'Browse…'),
    loraScale: el('vscode-textfield', { id: 'lora-scale', type: 'number', step: '0.05', title: 'The LoRA’s weight (1: as trained)' }),
    prompt: el('vscode-textarea', { id: 'prompt', rows: '3', placeholder: 'a photo of zwx dog on the beach', resize: 'vertical' }),
    negative: el('vscode-textarea', { id: 'negative', rows: '2', placeholder: 'blurry, low quality', resize: 'vertical' }),
    seed: el('vscode-textfield', { id: 'seed', type: 'number', min: '-1', title: '-1: a random seed' }),
    randomSeed: el('vscode-button', { id: 'random-seed', secondary: '', title: 'A random seed for each generation (-1)' }, 'Random'),
    steps: el('vscode-textfield', { id: 'steps', type: 'number', min: '1', max: '200' }),
    guidance: el('vscode-textfield', { id: 'guidance', type: 'number', min: '0', max: '50', step: '0.5', title: 'How strongly to follow the prompt (1 turns guidance off)' }),
    count: el('vscode-textfield', { id: 'count', type: 'number', min: '1', max: '16' }),
    width: el('vscode-textfield', { id: 'width', type: 'number', min: '64', max: '2048', step: '8' }),
    height: el('vscode-textfield', { id: 'height', type: 'number', min: '64', max: '2048', step: '8' }),
    sampler: el('vscode-single-select', { id: 'sampler' }),
    generate: el('vscode-button', { id: 'generate' }, 'Generate'),
    cancel: el('vscode-button', { id: 'cancel', secondary: '' }, 'Cancel'),
    progress: el('vscode-progress-bar', { id: 'progress' }),
    status: el('div', { id: 'status', role: 'status' }, 'Loading…'),
    grid: el('section', { id: 'grid', 'aria-label': 'Generated images' }),
    empty: el('p', { id: 'empty' }, 'No images yet: write a prompt and press Generate. Drop a PNG here to read its parameters.'),
    history: el('ol', { id: 'history', 'aria-label': 'History' }),
    clearHistory: el('vscode-button', { id: 'clear-history', secondary: '' }, 'Clear history'),
    viewer: buildViewer(),
  };
  p.cancel.hidden = true;
  p.progress.hidden = true;
  const form = el('section', { id: 'form', 'aria-label': 'Prompt' });
  const models = el('div', { class: 'row' });
  models.append(field('Model', p.model, true, p.modelPick, p.browseModel));
  const loras = el('div', { class: 'row' });
  loras.append(field('LoRA', p.lora, false, p.browseLora), field('LoRA weight', p.loraScale));
  const row = el('div', { class: 'row' });
  row.append(field('Seed', p.seed, false, p.randomSeed), field('Steps', p.steps), field('Guidance', p.guidance), field('Sampler', p.sampler), field('Count', p.count), field('Width', p.width), field('Height', p.height));
  const actions = el('div', { class: 'actions' });
  actions.append(p.generate, p.cancel);
  form.append(el('h1', {}, 'DreamBooth Gallery'), p.concept, models, loras, field('Prompt', p.prompt, true), field('Negative prompt', p.negative, true), row, actions, p.progress, p.status);
  const history = el('details', { id: 'history-section' });
  const summary = el('summary', {}, 'History');
  history.append(summary, p.clearHistory, p.history);
  root.append(form, p.empty, p.grid, history, p.viewer.root);
  return p;
}
