// Where a training run writes inside the concept's `output` folder (runLayout's folders). The resume
// state is named by the concept file, so concept files sharing one output folder never continue each
// other's run; what users pick up is named by the run (its concepts' identifiers):
//   checkpoints/<file>.resume.safetensors       what --resume continues from: weights + AdamW moments +
//                                               step, one file, replaced atomically
//   checkpoints/<name>-step-000200.safetensors  the weights at every save (kohya LoRA, or full weights)
//   exports/<name>.safetensors                  a LoRA run's final LoRA (kohya), for generate --lora / A1111 / ComfyUI;
//                                               a full run's merged checkpoint is exports/<name>-checkpoint.safetensors
//   checkpoints/<file>.settings.json            the settings the run was trained with (run-start.ts)
//   samples/step-000200/NNNNN-<seed>.png        sample images of sample_prompt at a step (generate's naming)
//   logs/train.jsonl                            one line per step (training/log.ts)
//   previous/<time>/                            a run that a fresh start moved aside (run-start.ts)
import { readdir, rm } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { runLayout } from '../../language/resolve';
import { processAlive } from '../../protocol/training-run';
import { tempOwner } from '../weights/atomic-file';

/** `name`: the run's name (runName); `conceptFile`: the concept file that trains it. */
export function trainFiles(output: string, name: string, conceptFile: string) {
  const l = runLayout(output);
  const pad = (step: number) => String(step).padStart(6, '0');
  const stepFile = (step: number) => join(l.checkpoints, `${name}-step-${pad(step)}.safetensors`);
  return {
    checkpoints: l.checkpoints,
    resume: join(l.checkpoints, `${basename(conceptFile, extname(conceptFile))}.resume.safetensors`),
    /** The state of runs made before the one-file resume state (read, never written). */
    legacy: { weights: join(l.checkpoints, 'last.safetensors'), optimizer: join(l.checkpoints, 'last.optimizer.safetensors') },
    atStep: stepFile,
    /** The newest step file, if any. */
    latestStep: async (): Promise<string | undefined> => {
      const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-step-(\\d{6})\\.safetensors$`);
      const steps = (await readdir(l.checkpoints).catch(() => [] as string[])).map((f) => re.exec(f)?.[1]).filter((x) => x !== undefined).map(Number);
      return steps.length ? stepFile(Math.max(...steps)) : undefined;
    },
    final: l.exportedLora(name),
    exports: l.exports,
    samplesAt: l.samplesAt,
    log: l.trainLog,
  };
}

/** Removes what an interrupted atomic write left in the run's folders (`<file>.tmp-<pid>-<hex>`) —
 *  only a dead process's: an export may be writing into exports/ right now. */
export async function removeStrayTemps(files: ReturnType<typeof trainFiles>): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of [files.checkpoints, files.exports]) {
    for (const f of await readdir(dir).catch(() => [] as string[])) {
      const pid = tempOwner(f);
      if (pid === undefined || processAlive(pid)) continue;
      await rm(join(dir, f), { force: true, recursive: true });
      removed.push(join(dir, f));
    }
  }
  return removed;
}
