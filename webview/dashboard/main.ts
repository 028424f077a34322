// The training dashboard page: loss curves (instance and prior, raw and smoothed), learning rate,
// seconds per step, ETA and memory from the run's log records, and the sample images by step. It
// owns no data: it says `ready`, gets the whole state, then appended records and changes.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import type { TrainStepRecord } from '../../protocol/sidecar';
import { formatEta } from '../../protocol/progressText';
import { unreachable, type DashboardJob, type DashboardRun, type DashboardSamples, type DashboardState, type DashboardToExtension, type ExtensionToDashboard } from '../../protocol/webview';
import { drawChart, type Series } from './chart';
import './dashboard.css';
import { buildPage, SMOOTHING } from './page';
import { estimateEta, formatMiB, smooth } from './stats';

interface Api {
  postMessage(message: DashboardToExtension): void;
  getState(): DashboardState | undefined;
  setState(state: DashboardState): void;
}
// The global is typed for the gallery's messages (webview/gallery/vscode-api.d.ts); this page has its own.
const vscode = acquireVsCodeApi() as unknown as Api;
const page = buildPage(document.getElementById('app')!);

let run: DashboardRun | undefined;
let records: TrainStepRecord[] = [];
let job: DashboardJob = { state: 'idle' };
let smoothing = vscode.getState()?.smoothing ?? SMOOTHING[1]!;
page.smoothing.value = smoothing;

function remember(): void {
  if (run) vscode.setState({ conceptFile: run.conceptFile, smoothing });
}

function drawCharts(): void {
  const w = Number(smoothing);
  const steps = records.map((r) => r.step);
  const pairs = (ys: number[]): [number, number][] => ys.map((y, i) => [steps[i]!, y]);
  const instance = records.map((r) => r.instanceLoss);
  const loss: Series[] = [
    { name: 'instance (raw)', className: 's-instance', points: pairs(instance), faint: true, legend: false },
    { name: 'instance', className: 's-instance', points: pairs(smooth(instance, w)) },
  ];
  if (records.some((r) => r.priorLoss > 0)) {
    const prior = records.map((r) => r.priorLoss);
    loss.push({ name: 'prior (raw)', className: 's-prior', points: pairs(prior), faint: true, legend: false }, { name: 'prior', className: 's-prior', points: pairs(smooth(prior, w)) });
  }
  drawChart(page.loss, 'Loss by step', loss);
  drawChart(page.lr, 'Learning rate by step', [{ name: 'learning rate', className: 's-lr', points: pairs(records.map((r) => r.lr)), legend: false }]);
  drawChart(page.time, 'Seconds per step', [{ name: 'seconds per step', className: 's-time', points: pairs(records.map((r) => r.stepSeconds)), legend: false }]);
}

function stat(name: string, value: string): HTMLElement {
  const d = document.createElement('div');
  const dt = document.createElement('dt');
  const dd = document.createElement('dd');
  dt.textContent = name;
  dd.textContent = value;
  d.append(dt, dd);
  return d;
}

function drawStats(): void {
  const last = records[records.length - 1];
  const total = run?.steps ?? 0;
  const eta = job.state === 'running' && job.phase === 'training' && job.etaSeconds !== undefined ? job.etaSeconds : job.state !== 'idle' ? estimateEta(records, total) : undefined;
  const items = [stat('Step', `${last?.step ?? 0} / ${total}`)];
  if (last) {
    items.push(stat('Loss', last.loss.toPrecision(4)));
    if (last.priorLoss > 0) items.push(stat('Instance · prior', `${last.instanceLoss.toPrecision(3)} · ${last.priorLoss.toPrecision(3)}`));
    items.push(stat('Learning rate', last.lr.toExponential(2)), stat('Step time', `${last.stepSeconds.toFixed(2)} s`));
    if (last.gradNorm !== null) items.push(stat('Grad norm', last.gradNorm.toPrecision(3)));
    if (last.lossScale !== undefined) {
      // mixed_precision fp16: steps whose gradients overflowed float16 made no update
      const skipped = records.filter((r) => r.skipped).length;
      items.push(stat('Loss scale', `${last.lossScale}${skipped ? ` · ${skipped} step${skipped > 1 ? 's' : ''} skipped` : ''}`));
    }
    items.push(stat('Peak memory', formatMiB(last.peakRssMiB)));
    if (last.peakDeviceMiB !== undefined) items.push(stat('Peak device memory', formatMiB(last.peakDeviceMiB)));
  }
  if (eta !== undefined) items.push(stat('ETA', formatEta(eta)));
  page.stats.replaceChildren(...items);
}

function drawJob(): void {
  const done = records[records.length - 1]?.step ?? 0;
  const total = run?.steps ?? 0;
  page.cancel.hidden = job.state === 'idle';
  page.resume.hidden = job.state !== 'idle';
  page.resume.textContent = done === 0 ? 'Train' : done < total ? 'Resume' : 'Train further';
  page.progress.hidden = job.state !== 'running';
  page.status.classList.toggle('error', job.state === 'idle' && job.last === 'failed');
  switch (job.state) {
    case 'running':
      page.status.textContent = `${job.phase} ${job.total ? `${job.step}/${job.total}` : ''}${job.message ? ` · ${job.message}` : ''}`;
      if (job.total > 0) page.progress.setAttribute('value', String((100 * job.step) / job.total));
      else page.progress.removeAttribute('value');
      return;
    case 'queued':
      page.status.textContent = `Waiting for ${job.behind[0] ?? 'another job'} to finish (one job at a time on the device).`;
      return;
    case 'idle': {
      const state = done === 0 ? 'Not trained yet.' : done >= total ? `Finished: ${done} steps.` : `Stopped at step ${done} of ${total}.`;
      const last = job.last === 'failed' ? ` The last run failed: ${job.error ?? 'unknown error'}` : job.last === 'cancelled' ? ' The last run was cancelled (a checkpoint was saved).' : '';
      page.status.textContent = `${state}${last}`;
      return;
    }
    default:
      unreachable(job);
  }
}

function drawSamples(samples: DashboardSamples[]): void {
  page.noSamples.hidden = samples.length > 0;
  page.samples.replaceChildren(
    ...samples.flatMap((s) =>
      s.images.map((img) => {
        const figure = document.createElement('figure');
        const el = document.createElement('img');
        el.src = img.src;
        el.alt = `${s.step === null ? 'sample' : `step ${s.step}`}: ${img.label}`;
        const caption = document.createElement('figcaption');
        caption.textContent = s.step === null ? img.label : `step ${s.step}`;
        figure.dataset.step = String(s.step ?? '');
        figure.append(el, caption);
        return figure;
      }),
    ),
  );
}

function onMessage(message: ExtensionToDashboard): void {
  switch (message.type) {
    case 'init':
      run = message.run;
      records = message.records;
      job = message.job;
      page.title.textContent = `Training ${run.title}`;
      remember();
      drawCharts();
      drawStats();
      drawJob();
      drawSamples(message.samples);
      document.body.dataset.ready = 'true';
      return;
    case 'records':
      records = [...records, ...message.records];
      drawCharts();
      drawStats();
      drawJob();
      return;
    case 'samples':
      drawSamples(message.samples);
      return;
    case 'job':
      job = message.job;
      drawStats();
      drawJob();
      return;
    default:
      unreachable(message);
  }
}

window.addEventListener('message', (e: MessageEvent<ExtensionToDashboard>) => onMessage(e.data));
page.cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
page.resume.addEventListener('click', () => vscode.postMessage({ type: 'resume' }));
page.smoothing.addEventListener('change', () => {
  smoothing = page.smoothing.value;
  remember();
  drawCharts();
});
vscode.postMessage({ type: 'ready' });
