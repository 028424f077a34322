// Every command, one factory per name of the table in protocol/commands.ts (a missing one fails the type
// check). Registration adds the `dreambooth.` prefix, the Workspace Trust gate and error reporting.
import * as vscode from 'vscode';
import type { JobFinishedParams } from '../protocol/sidecar';
import { COMMANDS, commandId, type CommandName } from '../protocol/commands';
import { conceptUri, generateJobs, saveIfDirty } from './concept';
import { askExport } from './exportDialog';
import type { Ctx } from './ctx';
import { reportOutcome, type OutcomeAction } from './outcome';
import { DashboardPanel } from './panels/dashboardPanel';
import { GalleryPanel } from './panels/galleryPanel';
import { PreparedPanel } from './panels/preparedPanel';
import { askAndStoreHfToken, clearHfToken, getHfToken } from './secrets';
import { trainConcept, trainingRun } from './training';
import { requireTrust } from './trust';

type Handler = (...args: unknown[]) => Promise<unknown>;
type Factory = (ctx: Ctx) => Handler;

/** After a job that made images: the gallery of its concept file shows them. */
const galleryAction = (ctx: Ctx, outcome: JobFinishedParams, conceptFile: string): OutcomeAction[] =>
  outcome.status === 'done' && outcome.images.length ? [{ label: 'Open Gallery', run: () => GalleryPanel.createOrShow(ctx, conceptFile, outcome.images) }] : [];

/** The concept file the gallery belongs to: the argument or active editor, else the workspace's first. */
async function galleryConcept(arg: unknown): Promise<string | undefined> {
  const uri = conceptUri(arg) ?? (await vscode.workspace.findFiles('**/*.dreambooth', '**/node_modules/**', 1))[0];
  return uri?.fsPath;
}

function needConcept(arg: unknown): vscode.Uri {
  const uri = conceptUri(arg);
  if (!uri) throw new Error('open a .dreambooth concept file first (or run the command from its editor or context menu).');
  return uri;
}

const factories: Record<CommandName, Factory> = {
  train: (ctx) => async (arg) => trainConcept(ctx, needConcept(arg), false),
  trainFromScratch: (ctx) => async (arg) => trainConcept(ctx, needConcept(arg), true),
  openDashboard: (ctx) => async (arg) => {
    const uri = conceptUri(arg);
    const running = ctx.jobs.running().find((j) => j.run !== undefined);
    if (uri) return DashboardPanel.show(ctx, await trainingRun(uri));
    if (running?.run) return DashboardPanel.show(ctx, await trainingRun(vscode.Uri.file(running.run.conceptFile)));
    throw new Error('open a .dreambooth concept file first (its training run is what the dashboard shows).');
  },
  generate: (ctx) => async (arg, blockName) => {
    const uri = needConcept(arg);
    const hfToken = await getHfToken(ctx.extension.secrets);
    const jobs = await generateJobs(uri, typeof blockName === 'string' ? blockName : undefined, hfToken);
    for (const job of jobs) {
      const outcome = await ctx.runJob(`Generating "${job.block}"`, { kind: 'generate', params: job.params });
      void reportOutcome(ctx, `generating "${job.block}"`, outcome, galleryAction(ctx, outcome, uri.fsPath)); // a toast with an action stays until dismissed: do not wait for it
      if (outcome.status !== 'done') break;
    }
  },
  prepareImages: (ctx) => async (arg) => {
    const uri = needConcept(arg);
    await saveIfDirty(uri);
    const hfToken = await getHfToken(ctx.extension.secrets);
    const outcome = await PreparedPanel.whilePreparing(uri.fsPath, () =>
      ctx.runJob(`Preparing images for ${vscode.workspace.asRelativePath(uri)}`, { kind: 'prepare', params: { conceptFile: uri.fsPath, hfToken } }),
    );
    void reportOutcome(ctx, 'preparing images', outcome, [{ label: 'Show Prepared Images', run: () => PreparedPanel.createOrShow(ctx, uri.fsPath) }, ...galleryAction(ctx, outcome, uri.fsPath)]);
  },
  export: (ctx) => async (arg) => {
    const uri = needConcept(arg);
    const choice = await askExport(uri);
    if (!choice) return;
    const hfToken = await getHfToken(ctx.extension.secrets); // the base model may have to be fetched again
    const outcome = await ctx.runJob(`Exporting ${vscode.workspace.asRelativePath(uri)} (${choice.format})`, { kind: 'export', params: { ...choice, hfToken } });
    if (outcome.status !== 'done') return void reportOutcome(ctx, 'export', outcome);
    const reveal = await vscode.window.showInformationMessage(`DreamBooth: exported ${outcome.files[0]}`, 'Reveal');
    if (reveal) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(outcome.files[0]!));
  },
  openGallery: (ctx) => async (arg) => void GalleryPanel.createOrShow(ctx, await galleryConcept(arg)),
  cancelJob: (ctx) => async () => {
    const jobs = ctx.jobs.running();
    if (!jobs.length) return void vscode.window.showInformationMessage('DreamBooth: no job is running.');
    const pick = jobs.length === 1 ? jobs[0] : (await vscode.window.showQuickPick(jobs.map((j) => ({ label: j.title, job: j })), { title: 'DreamBooth: cancel which job?' }))?.job;
    pick?.cancel();
  },
  restartSidecar: (ctx) => async () => {
    await ctx.restartSidecar();
    void vscode.window.showInformationMessage(`DreamBooth: sidecar restarted (${ctx.sidecarInfo?.chosen ?? 'unknown provider'}).`);
  },
  showLog: (ctx) => async () => ctx.log.show(),
  showProviders: (ctx) => async () => {
    const { info } = await ctx.sidecar();
    await vscode.window.showQuickPick(
      info.providers.map((p) => ({ label: `${p.name === info.chosen ? '$(check)' : p.available ? '$(circle-outline)' : '$(circle-slash)'} ${p.name}`, detail: p.reason })),
      { title: `DreamBooth sidecar ${info.version}: execution providers (using ${info.chosen})` },
    );
  },
  setHuggingFaceToken: (ctx) => async () => {
    if (await askAndStoreHfToken(ctx.extension.secrets)) void vscode.window.showInformationMessage('DreamBooth: Hugging Face token saved in secret storage.');
  },
  clearHuggingFaceToken: (ctx) => async () => {
    await clearHfToken(ctx.extension.secrets);
    void vscode.window.showInformationMessage('DreamBooth: Hugging Face token removed.');
  },
  // gallery and prepared images
  showImageParameters: (ctx) => async (arg) => {
    const uri = arg instanceof vscode.Uri ? arg : (await vscode.window.showOpenDialog({ canSelectFiles: true, filters: { PNG: ['png'] }, title: 'A PNG with generation parameters', openLabel: 'Show Parameters' }))?.[0];
    if (uri) await GalleryPanel.createOrShow(ctx, await galleryConcept(undefined)).showParametersOf(uri);
  },
  showPreparedImages: (ctx) => async (arg) => PreparedPanel.createOrShow(ctx, needConcept(arg).fsPath),
};

export function registerCommands(ctx: Ctx): void {
  for (const name of Object.keys(factories) as CommandName[]) {
    const handler = factories[name](ctx);
    const spec = COMMANDS[name];
    const run = async (...args: unknown[]) => {
      if (spec.needsTrust && !(await requireTrust(spec.title))) return;
      try {
        return await handler(...args);
      } catch (e) {
        const message = (e as Error).message;
        ctx.log.error(`${commandId(name)}: ${(e as Error).stack ?? message}`);
        const choice = await vscode.window.showErrorMessage(`DreamBooth: ${spec.title}: ${message}`, 'Show Log');
        if (choice) ctx.log.show();
      }
    };
    ctx.extensionScope.push(vscode.commands.registerCommand(commandId(name), run));
  }
}
