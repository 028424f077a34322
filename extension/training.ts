// Train and Train from Scratch from the editor. Before a job is queued, everything that can be known
// is checked and said in words: the concept file loads, this window has no training of the run yet,
// no other process holds the run's lock, and a resume has the settings its checkpoint was trained
// with (else the user may start over, which moves the previous run aside). Then the job, and what
// to do next.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { lockRefusal, type RunLockInfo, type RunSettings } from '../protocol/training-run';
import type { DashboardRun } from '../protocol/webview';
import { loadConcept } from '../language/load';
import { runLayout, runName, type ResolvedConcept } from '../language/resolve';
import { runSettingsOf, settingsChanges } from '../language/run-settings';
import { saveIfDirty } from './concept';
import type { Ctx } from './ctx';
import { reportOutcome } from './outcome';
import { DashboardPanel } from './panels/dashboardPanel';
import { getHfToken } from './secrets';

const FROM_SCRATCH = 'Train from Scratch';

/** The training run of a concept file (saved first: the sidecar reads it from disk). */
export async function trainingRun(uri: vscode.Uri): Promise<DashboardRun & { concept: ResolvedConcept }> {
  await saveIfDirty(uri);
  const { concept } = loadConcept(uri.fsPath); // ConceptFileError lists every error
  const name = runName(concept, uri.fsPath);
  return { concept, title: `${name} (${vscode.workspace.asRelativePath(uri)})`, conceptFile: uri.fsPath, output: concept.output, steps: concept.train.steps };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function trainConcept(ctx: Ctx, uri: vscode.Uri, fromScratch: boolean): Promise<void> {
  const run = await trainingRun(uri);
  const l = runLayout(run.output);
  const queued = ctx.queue.refusal({ title: '', run: run.output });
  if (queued) throw new Error(queued);
  const locked = lockRefusal(await readJson<RunLockInfo>(l.lock), run.output, l.lock, hostname());
  if (locked) throw new Error(locked);
  let fresh = fromScratch;
  const recorded = fresh ? undefined : await readJson<RunSettings>(l.settings(uri.fsPath));
  const changes = recorded ? settingsChanges(recorded, runSettingsOf(run.concept)) : [];
  if (changes.length) {
    const choice = await vscode.window.showWarningMessage(
      `DreamBooth: the run in ${vscode.workspace.asRelativePath(run.output)} was trained with other settings, so Train cannot resume it.`,
      { modal: true, detail: `Changed: ${changes.join('; ')}.\n\nPut the settings back to resume, or train from scratch: the previous run is moved to ${path.basename(l.previous)}/, nothing is deleted.` },
      FROM_SCRATCH,
    );
    if (choice !== FROM_SCRATCH) return;
    fresh = true;
  } else if (fresh && [l.checkpoints, l.logs, l.samples, l.exports].some((p) => existsSync(p))) {
    const choice = await vscode.window.showWarningMessage(
      `DreamBooth: train ${run.title} from scratch?`,
      { modal: true, detail: `The previous run (checkpoints, samples, logs, exports) is moved to ${vscode.workspace.asRelativePath(l.previous)}/<time>/; nothing is deleted. Class images are kept.` },
      FROM_SCRATCH,
    );
    if (choice !== FROM_SCRATCH) return;
  }
  const hfToken = await getHfToken(ctx.extension.secrets);
  // A progress notification cannot carry buttons: the way to the dashboard is a toast of its own.
  const started = () =>
    void vscode.window.showInformationMessage(`DreamBooth: ${run.title} is training; its loss curves and sample images are in the dashboard.`, 'Open Dashboard').then((choice) => {
      if (choice) DashboardPanel.show(ctx, run);
    });
  const outcome = await ctx.runJob(`Training ${vscode.workspace.asRelativePath(uri)}`, { kind: 'train', params: { conceptFile: uri.fsPath, resume: !fresh, hfToken } }, { started }, { output: run.output, conceptFile: run.conceptFile });
  void reportOutcome(ctx, 'training', outcome, [{ label: 'Open Dashboard', run: () => DashboardPanel.show(ctx, run) }]);
}
