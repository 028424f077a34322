// The extension's one context object. It owns the output channel, status bar, language client,
// panels and the sidecar, in two disposal scopes: `extensionScope` (as long as the extension) and
// `sidecarScope` (as long as one sidecar process), so "Restart Sidecar" leaks nothing.
//
// Restart policy (one, explicit): an unexpected sidecar exit fails its running jobs and restarts it
// on the next request, unless it crashed MAX_CRASHES times within CRASH_WINDOW_MS; then health turns
// to `error` and only "DreamBooth: Restart Sidecar" starts it again.
import * as vscode from 'vscode';
import { CancelJob, JobFinished, JobProgress, Log, StartJob, type InitializeResult, type JobFinishedParams, type JobRequest } from '../protocol/sidecar';
import { readConfig } from './config';
import type { SidecarHealth } from './health';
import { JobQueue } from './jobQueue';
import { JobTracker, showJob, waitInQueue, type JobListener, type RunRef } from './jobs';
import { describeExit, Sidecar, type SidecarExit } from './sidecar';
import { StatusBar } from './statusBar';

const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 3 * 60_000;

interface Running {
  sidecar: Sidecar;
  info: InitializeResult;
}

export class Ctx {
  readonly log: vscode.LogOutputChannel;
  readonly jobs = new JobTracker();
  private readonly jobsChanged = new vscode.EventEmitter<void>();
  /** Running and waiting jobs changed (the status bar, the training dashboard). */
  readonly onDidChangeJobs = this.jobsChanged.event;
  /** One job at a time on the device, in order; one training per run. */
  readonly queue = new JobQueue(() => this.jobsChanged.fire());
  /** How the last training of each run (by folder) ended in this window. */
  readonly lastOutcome = new Map<string, JobFinishedParams>();
  private readonly statusBar = new StatusBar();
  private sidecarScope: vscode.Disposable[] = [];
  private running: Running | undefined;
  private starting: Promise<Running> | undefined;
  private health: SidecarHealth = {
    state: 'stopped',
    reason: vscode.workspace.isTrusted ? 'not started yet' : 'this workspace is not trusted; trust it to train and generate',
  };
  private crashTimes: number[] = [];
  private blocked: string | undefined;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('DreamBooth', { log: true });
    // Stop the sidecar first: stopping it still reports to the log, jobs and status bar.
    this.extensionScope.push({ dispose: () => this.stopSidecar('extension deactivated') }, this.log, this.statusBar, this.jobs);
    this.extensionScope.push(this.jobsChanged, this.jobs.onDidChange(() => this.jobsChanged.fire()), this.onDidChangeJobs(() => this.refreshBusy()));
    this.statusBar.render(this.health);
  }

  get extensionScope(): vscode.Disposable[] {
    return this.extension.subscriptions;
  }

  asAbsolutePath(relative: string): string {
    return this.extension.asAbsolutePath(relative);
  }

  get sidecarInfo(): InitializeResult | undefined {
    return this.running?.info;
  }

  /** The running sidecar, started (once) if needed. */
  async sidecar(): Promise<Running> {
    if (this.running && !this.running.sidecar.isDisposed) return this.running;
    if (this.blocked) throw new Error(`${this.blocked} Run "DreamBooth: Restart Sidecar" to try again.`);
    this.starting ??= this.startSidecar().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async restartSidecar(): Promise<void> {
    this.stopSidecar('restarting');
    this.crashTimes = [];
    this.blocked = undefined;
    await this.sidecar();
  }

  /**
   * Queues a job (behind the running one, if any), starts it in the sidecar and shows it; resolves
   * with how it ended. `run` is a training job's run: a second training of it is refused.
   */
  async runJob(title: string, request: JobRequest, listener: JobListener = {}, run?: RunRef): Promise<JobFinishedParams> {
    const place = this.queue.join({ title, run: run?.output }); // throws the refusal
    try {
      if (place.ahead.length) {
        listener.queued?.(place.ahead.map((j) => j.title));
        this.log.info(`${title}: waiting for ${place.ahead.map((j) => j.title).join(', ')}`);
        if (!(await waitInQueue(title, place.ahead[0]!.title, place.turn, place.leave))) return { jobId: '', status: 'cancelled' };
      }
      const { sidecar } = await this.sidecar();
      const { jobId } = await sidecar.connection.sendRequest(StartJob, request);
      this.log.info(`${jobId}: started ${request.kind} (${title})`);
      const cancel = () => void sidecar.connection.sendRequest(CancelJob, { jobId }).catch((e: Error) => this.log.warn(`cancel ${jobId}: ${e.message}`));
      listener.started?.(jobId, cancel);
      const outcome = await showJob(this.jobs, { jobId, title, run, cancel }, listener);
      this.log.info(`${jobId}: ${outcome.status}${outcome.status === 'failed' ? ` — ${outcome.error}` : ''}`);
      if (run) this.lastOutcome.set(run.output, outcome);
      return outcome;
    } finally {
      place.leave();
    }
  }

  dispose(): void {
    this.stopSidecar('extension deactivated');
  }

  private async startSidecar(): Promise<Running> {
    this.setHealth({ state: 'starting' });
    const config = readConfig();
    const script = this.asAbsolutePath('dist/sidecar.js');
    try {
      const { sidecar, info } = await Sidecar.start(script, { providers: config.executionProviders, threads: config.sidecarThreads }, this.log);
      this.log.info(`sidecar ${info.version} ready (pid ${sidecar.pid}) on ${info.chosen}; providers: ${info.providers.map((p) => `${p.name} ${p.available ? 'yes' : 'no'} (${p.reason})`).join('; ')}`);
      const running = { sidecar, info };
      this.running = running;
      this.sidecarScope.push(
        sidecar,
        sidecar.connection.onNotification(JobProgress, (p) => this.jobs.progress(p)),
        sidecar.connection.onNotification(JobFinished, (p) => this.jobs.finish(p)),
        sidecar.connection.onNotification(Log, ({ level, message }) => this.log[level](`[sidecar] ${message}`)),
      );
      void sidecar.exited.then((exit) => this.onExit(sidecar, exit));
      this.setHealth({ state: 'ready', provider: info.chosen, version: info.version });
      return running;
    } catch (e) {
      const message = (e as Error).message;
      this.log.error(`sidecar failed to start: ${message}`);
      this.setHealth({ state: 'error', message });
      throw e;
    }
  }

  private onExit(sidecar: Sidecar, exit: SidecarExit): void {
    if (sidecar.isDisposed || this.running?.sidecar !== sidecar) return; // we stopped it ourselves
    const why = `the sidecar stopped unexpectedly (${describeExit(exit)})`;
    this.log.error(why);
    this.disposeSidecarScope();
    this.jobs.failAll(why);
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashTimes.length >= MAX_CRASHES) {
      this.blocked = `The sidecar crashed ${MAX_CRASHES} times in ${CRASH_WINDOW_MS / 60_000} minutes; see "DreamBooth: Show Log".`;
      this.setHealth({ state: 'error', message: this.blocked });
    } else {
      this.setHealth({ state: 'stopped', reason: `${why}; it restarts on the next job` });
    }
  }

  private stopSidecar(reason: string): void {
    if (!this.running && !this.sidecarScope.length) return;
    this.disposeSidecarScope();
    this.jobs.failAll(`the sidecar was stopped (${reason})`);
    this.setHealth({ state: 'stopped', reason });
  }

  private disposeSidecarScope(): void {
    this.running = undefined;
    for (const d of this.sidecarScope.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (e) {
        this.log.warn(`disposing: ${(e as Error).message}`);
      }
    }
  }

  private setHealth(health: SidecarHealth): void {
    this.health = health;
    this.statusBar.render(health);
  }

  /** Busy is derived: a ready sidecar with running jobs. */
  private refreshBusy(): void {
    const jobs = this.jobs.running();
    void vscode.commands.executeCommand('setContext', 'dreambooth.jobRunning', jobs.length > 0);
    const h = this.health;
    if (h.state !== 'ready' && h.state !== 'busy') return;
    const provider = h.provider;
    const version = this.running?.info.version ?? '';
    if (!jobs.length) return this.setHealth({ state: 'ready', provider, version });
    const last = jobs[jobs.length - 1]!.last;
    const detail = last && last.total ? `${last.phase} ${last.step}/${last.total}` : jobs[jobs.length - 1]!.title;
    const waiting = this.queue.jobs().length - jobs.length;
    this.setHealth({ state: 'busy', provider, jobs: jobs.length, waiting: Math.max(0, waiting), detail, training: jobs.some((j) => j.run !== undefined) });
  }
}
