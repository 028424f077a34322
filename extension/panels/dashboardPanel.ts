// The training dashboard: one panel per run (concept output folder) with its loss curves, rates,
// timing, memory and sample images by step, read from the run's files, so a finished run, a run
// started from a terminal and a reloaded window all show the same history. Live updates come from a
// file watcher on the run folder and from the job's progress (either one suffices). The page keeps no
// data of its own: on every (re)load it says `ready` and gets the whole state, so hiding and showing
// the panel needs no retained context; the serializer revives it after a window reload.
import { commandId } from '../../protocol/commands';
import * as vscode from 'vscode';
import type { DashboardJob, DashboardRun, DashboardSamples, DashboardState, DashboardToExtension, ExtensionToDashboard } from '../../protocol/webview';
import { unreachable } from '../../protocol/webview';
import { runLayout } from '../../language/resolve';
import type { Ctx } from '../ctx';
import { LogTail, listSamples } from '../runFiles';
import { PanelHost } from './panelHost';

export class DashboardPanel extends PanelHost<ExtensionToDashboard, DashboardToExtension> {
  static readonly viewType = 'dreambooth.dashboard';
  private static readonly open = new Map<string, DashboardPanel>();

  private tail: LogTail;
  private samplesShown = '';
  private refreshing: Promise<void> | undefined;
  private again = false;
  private ready = false;

  /** Shows the dashboard of `run`, creating it if needed. */
  static show(ctx: Ctx, run: DashboardRun): void {
    const existing = DashboardPanel.open.get(run.output);
    if (existing) return existing.panel.reveal();
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    const panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, DashboardPanel.tabTitle(run), { viewColumn: column, preserveFocus: true });
    new DashboardPanel(panel, ctx, run);
  }

  static registerSerializer(ctx: Ctx, runOf: (conceptFile: string) => Promise<DashboardRun>): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(DashboardPanel.viewType, {
      deserializeWebviewPanel: async (panel, state: DashboardState | undefined) => {
        try {
          if (!state?.conceptFile) throw new Error('the panel did not record its concept file');
          const run = await runOf(state.conceptFile);
          DashboardPanel.open.get(run.output)?.dispose();
          new DashboardPanel(panel, ctx, run);
        } catch (e) {
          ctx.log.warn(`training dashboard not restored: ${(e as Error).message}`);
          panel.dispose();
        }
      },
    });
  }

  private static tabTitle(run: DashboardRun): string {
    return `Training: ${run.title.split(' (')[0]}`;
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    private readonly run: DashboardRun,
  ) {
    const layout = runLayout(run.output);
    const title = DashboardPanel.tabTitle(run);
    super(panel, ctx.extension.extensionUri, { title, script: 'dist/webview/dashboard.js', style: 'dist/webview/dashboard.css' }, [vscode.Uri.file(layout.samples)]);
    DashboardPanel.open.set(run.output, this);
    this.tail = new LogTail(layout.trainLog);
    panel.title = title;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(run.output), '{logs,samples}/**'));
    const refresh = () => void this.refresh();
    this.disposables.push(
      watcher,
      watcher.onDidCreate(refresh),
      watcher.onDidChange(refresh),
      watcher.onDidDelete(refresh),
      // Progress of this run's job: the log has grown (also where file events do not reach, e.g. a
      // run folder outside the workspace), and the job's state changed.
      ctx.onDidChangeJobs(() => {
        if (!this.ready) return;
        this.post({ type: 'job', job: this.job() });
        refresh();
      }),
    );
  }

  protected forget(): void {
    if (DashboardPanel.open.get(this.run.output) === this) DashboardPanel.open.delete(this.run.output);
  }

  protected receive(message: DashboardToExtension): void {
    switch (message.type) {
      case 'ready':
        void this.init();
        return;
      case 'cancel': {
        const running = this.ctx.jobs.running().find((j) => j.run?.output === this.run.output);
        if (running) running.cancel();
        else this.ctx.queue.withdraw(this.run.output);
        return;
      }
      case 'resume':
        void vscode.commands.executeCommand(commandId('train'), vscode.Uri.file(this.run.conceptFile));
        return;
      default:
        unreachable(message);
    }
  }

  /** The whole state (the page was (re)loaded): the log from its start, every sample, the job. */
  private async init(): Promise<void> {
    this.ready = true;
    this.tail = new LogTail(runLayout(this.run.output).trainLog);
    const { records } = await this.tail.read();
    const samples = await this.samples();
    this.samplesShown = JSON.stringify(samples);
    const { title, conceptFile, output, steps } = this.run;
    this.post({ type: 'init', run: { title, conceptFile, output, steps }, records, samples, job: this.job() });
  }

  /** Sends what changed on disk; calls that arrive while one runs coalesce into one more. */
  private async refresh(): Promise<void> {
    if (!this.ready) return;
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        const update = await this.tail.read();
        if (update.reset) return void (await this.init()); // replaced or trimmed: start over
        if (update.records.length) this.post({ type: 'records', records: update.records });
        const samples = await this.samples();
        const shown = JSON.stringify(samples);
        if (shown !== this.samplesShown) {
          this.samplesShown = shown;
          this.post({ type: 'samples', samples });
        }
      } while (this.again && !this.disposed);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async samples(): Promise<DashboardSamples[]> {
    return (await listSamples(runLayout(this.run.output).samples)).map((s) => ({ step: s.step, images: s.files.map((f) => this.image(f)) }));
  }

  private job(): DashboardJob {
    const output = this.run.output;
    const state = this.ctx.queue.stateOf(output);
    if (state === 'queued') {
      const all = this.ctx.queue.jobs();
      const mine = all.findIndex((j) => j.run === output);
      return { state: 'queued', behind: all.slice(0, mine).map((j) => j.title) };
    }
    if (state === 'running') {
      const last = this.ctx.jobs.running().find((j) => j.run?.output === output)?.last;
      return last ? { state: 'running', phase: last.phase, step: last.step, total: last.total, etaSeconds: last.etaSeconds, message: last.message } : { state: 'running', phase: 'starting', step: 0, total: 0 };
    }
    const last = this.ctx.lastOutcome.get(output);
    return { state: 'idle', last: last?.status, error: last?.status === 'failed' ? last.error : undefined };
  }
}
