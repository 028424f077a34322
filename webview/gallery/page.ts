// The gallery's DOM, built once with vscode-elements; main.ts only fills it.
interface ValueElement extends HTMLElement {
  value: string;
}
export interface Page {
  prompt: ValueElement;
  negative: ValueElement;
  seed: ValueElement;
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
  model: HTMLElement;
  grid: HTMLElement;
  empty: HTMLElement;
}

function el<T extends HTMLElement = HTMLElement>(tag: string, attrs: Record<string, string> = {}, text?: string): T {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e as T;
}

function field(label: string, control: HTMLElement, wide = false): HTMLElement {
  const id = control.id;
  const wrap = el('div', { class: wide ? 'field wide' : 'field' });
  wrap.append(el('vscode-label', { for: id }, label), control);
  return wrap;
}

export function buildPage(root: HTMLElement): Page {
  const p: Page = {
    prompt: el('vscode-textarea', { id: 'prompt', rows: '3', placeholder: 'a photo of zwx dog on the beach', resize: 'vertical' }),
    negative: el('vscode-textarea', { id: 'negative', rows: '2', placeholder: 'blurry, low quality', resize: 'vertical' }),
    seed: el('vscode-textfield', { id: 'seed', type: 'number', min: '-1', title: '-1: a random seed' }),
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
    model: el('div', { id: 'model' }),
    grid: el('section', { id: 'grid', 'aria-label': 'Generated images' }),
    empty: el('p', { id: 'empty' }, 'No images yet: write a prompt and press Generate.'),
  };
  p.cancel.hidden = true;
  p.progress.hidden = true;
  const form = el('section', { id: 'form', 'aria-label': 'Prompt' });
  const row = el('div', { class: 'row' });
  row.append(field('Seed', p.seed), field('Steps', p.steps), field('Guidance', p.guidance), field('Sampler', p.sampler), field('Count', p.count), field('Width', p.width), field('Height', p.height));
  const actions = el('div', { class: 'actions' });
  actions.append(p.generate, p.cancel);
  form.append(el('h1', {}, 'DreamBooth Gallery'), p.model, field('Prompt', p.prompt, true), field('Negative prompt', p.negative, true), row, actions, p.progress, p.status);
  root.append(form, p.empty, p.grid);
  return p;
}
