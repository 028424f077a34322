// How a run begins in its folder (under the run lock): a resume continues only a run trained with the
// same settings (recorded per concept file); a fresh start never deletes a previous run but moves it to
// previous/<time>/ (checkpoints, samples, logs, exports; class images and prepared photos stay, they
// do not depend on the run). The settings are then recorded for the next resume.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RunSettings } from '../../protocol/training-run';
import { runLayout } from '../../language/resolve';
import { settingsChanges } from '../../language/run-settings';

export class RunSettingsError extends Error {
  override name = 'TrainError';
}

export interface RunStart {
  /** Where a previous run was moved, when it was. */
  movedTo?: string;
  /** A resume from a checkpoint whose settings were not recorded (made before they were). */
  unrecorded?: boolean;
}

export async function startRun(output: string, conceptFile: string, settings: RunSettings, resume: boolean): Promise<RunStart> {
  const l = runLayout(output);
  const start: RunStart = {};
  if (resume) {
    const recorded = await readSettings(l.settings(conceptFile));
    if (recorded) {
      const changes = settingsChanges(recorded, settings);
      if (changes.length)
        throw new RunSettingsError(
          `the checkpoint in ${l.checkpoints} was trained with other settings (${changes.join('; ')}); resuming would mix two runs. Put the settings back, or train from scratch (the previous run is moved to ${l.previous}).`,
        );
    } else start.unrecorded = existsSync(l.checkpoints);
  } else {
    start.movedTo = await moveAside(output);
  }
  await mkdir(l.checkpoints, { recursive: true });
  await writeFile(l.settings(conceptFile), `${JSON.stringify(settings, null, 2)}\n`);
  return start;
}

async function readSettings(path: string): Promise<RunSettings | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RunSettings;
  } catch {
    return undefined;
  }
}

/** Moves the previous run's parts to previous/<time>/; undefined when there was none. */
async function moveAside(output: string): Promise<string | undefined> {
  const l = runLayout(output);
  const parts = [l.checkpoints, l.samples, l.logs, l.exports].filter((p) => existsSync(p));
  if (!parts.length) return undefined;
  const dest = join(l.previous, new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(dest, { recursive: true });
  for (const p of parts) await rename(p, join(dest, basename(p)));
  return dest;
}
