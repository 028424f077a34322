// The dashboard's DOM, built once with vscode-elements; main.ts only fills it.
export interface Page {
  title: HTMLElement;
  status: HTMLElement;
  progress: HTMLElement;
  cancel: HTMLElement;
  resume: HTMLElement;
  smoothing: HTMLElement & { value: string };
  stats: HTMLElement;
  loss: SVGSVGElement;
  lr: SVGSVGElement;
  time: SVGSVGElement;
  samples: HTMLElement;
  noSamples: HTMLElement;
}

function el<T extends HTMLElement = HTMLElement>(tag: string, attrs: Record<string, string> = {}, text?: string): T {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e as T;
}

function svg(id: string): SVGSVGElement {
  const s = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  s.id = id;
  s.classList.add('chart');
  return s;
}

function section(heading: string, ...children: Node[]): HTMLElement {
  const s = el('section');
  s.append(el('h2', {}, heading), ...children);
  return s;
}

export const SMOOTHING = ['0', '0.6', '0.9', '0.99'];

export function buildPage(root: HTMLElement): Page {
  const p: Page = {
    title: el('h1', { id: 'title' }, 'Training'),
    status: el('div', { id: 'status', role: 'status' }, 'Loading…'),
    progress: el('vscode-progress-bar', { id: 'progress' }),
    cancel: el('vscode-button', { id: 'cancel', secondary: '' }, 'Cancel'),
    resume: el('vscode-button', { id: 'resume' }, 'Resume'),
    smoothing: el('vscode-single-select', { id: 'smoothing', title: 'Smoothing of the loss curves (exponential moving average weight)' }),
    stats: el('dl', { id: 'stats' }),
    loss: svg('loss-chart'),
    lr: svg('lr-chart'),
    time: svg('time-chart'),
    samples: el('div', { id: 'samples', 'aria-label': 'Sample images by step' }),
    noSamples: el('p', { id: 'no-samples' }, 'No sample images yet: they are drawn every save_every steps and at the end.'),
  };
  for (const v of SMOOTHING) {
    const o = el('vscode-option', { value: v }, `smoothing ${v}`);
    p.smoothing.append(o);
  }
  p.cancel.hidden = true;
  p.progress.hidden = true;
  const actions = el('div', { class: 'actions' });
  actions.append(p.resume, p.cancel, p.smoothing);
  const header = el('header');
  header.append(p.title, actions, p.progress, p.status, p.stats);
  const small = el('div', { class: 'small-charts' });
  small.append(section('Learning rate', p.lr), section('Seconds per step', p.time));
  root.append(header, section('Loss', p.loss), small, section('Samples', p.noSamples, p.samples));
  return p;
}
