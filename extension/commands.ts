// Every command, one factory per name of the table in protocol/commands.ts (a missing one fails the type
// check). Registration adds the `dreambooth.` prefix, the Workspace Trust gate and error reporting.
import * as vscode from 'vscode';
import type { JobFinishedParams } from '../protocol/sidecar';
import { COMMANDS, commandId, type CommandName } from '../protocol/commands';
import { conceptUri, generateJobs, saveIfDirty } from './concept';
import type { Ctx } from './ctx';
import { GalleryPanel } from './panels/galleryPanel';
import { PreparedPanel } from './panels/preparedPanel';
import { askAndStoreHfToken, clearHfToken, getHfToken } from './secrets';
import { requireTrust } from './trust';

type Handler = (...args: unknown[]) => Promise<unknown>;
type Factory = (ctx: Ctx) => Handler;

/** Tells the user how a job ended, with the next useful action. */
async function reportOutcome(ctx: Ctx, what: string, outcome: JobFinishedParams, show?: { label: string; open(): void }): Promise<void> {
  switch (outcome.status) {
    case 'done': {
      const action = show ?? (outcome.images.length ? { label: 'Open Gallery', open: () => GalleryPanel.createOrShow(ctx) } : undefined);
      const choice = await vscode.window.showInformationMessage(`DreamBooth: ${what} finished.`, ...(action ? [action.label] : []));
      if (action && choice === action.label) action.open();
      return;
    }
    case 'cancelled':
      void vscode.window.showInformationMessage(`DreamBooth: ${what} was cancelled.`);
      return;
    case 'failed': {
      const choice = await vscode.window.showErrorMessage(`DreamBooth: ${what} failed: ${outcome.error}`, 'Show Log');
      if (choice) ctx.log.show();
      return;
    }
    default: {
      const never: never = outcome;
      throw new Error(`unknown job outcome ${JSON.stringify(never)}`);
    }
  }
}

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
  train: (ctx) => async (arg) => {
    const uri = needConcept(arg);
    await saveIfDirty(uri);
    const hfToken = await getHfToken(ctx.extension.secrets);
    const outcome = await ctx.runJob(`Training ${vscode.workspace.asRelativePath(uri)}`, { kind: 'train', params: { conceptFile: uri.fsPath, resume: true, hfToken } });
    void reportOutcome(ctx, 'training', outcome);
  },
  generate: (ctx) => async (arg, blockName) => {
    const uri = needConcept(arg);
    const hfToken = await getHfToken(ctx.extension.secrets);
    const jobs = await generateJobs(uri, typeof blockName === 'string' ? blockName : undefined, hfToken);
    for (const job of jobs) {
      const outcome = await ctx.runJob(`Generating "${job.block}"`, { kind: 'generate', params: job.params });
      void reportOutcome(ctx, `generating "${job.block}"`, outcome); // a toast with an action stays until dismissed: do not wait for it
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
    void reportOutcome(ctx, 'preparing images', outcome, { label: 'Show Prepared Images', open: () => PreparedPanel.createOrShow(ctx, uri.fsPath) });
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
