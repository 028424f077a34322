// The export job (`dreambooth export` and the sidecar's export request): a run's trained weights on top
// of its base model, written as a kohya LoRA, a merged single-file checkpoint or a diffusers folder.
//   1. read the concept file; find the run's trained weights (the final export, else the last
//      checkpoint of an unfinished run) or say to train first; refuse an existing output early
//   2. open the base model and the trained weights, and plan the export (every tensor's name, dtype and
//      shape; the trained weights must fit the base model)
//   3. write it tensor by tensor into a staging folder, then rename it into place (weights/export-write.ts)
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ExportParams } from '../../protocol/sidecar';
import { EXPORT_FORMATS } from '../../protocol/vocabulary';
import { loadConcept } from '../../language/load';
import { runLayout, runName } from '../../language/resolve';
import { checkCancelled, type JobContext } from '../context/job-context';
import { trainFiles } from '../training/layout';
import { openCheckpoint } from '../weights/checkpoint';
import { planExport } from '../weights/export-plan';
import { checkTarget, writeExport } from '../weights/export-write';
import { openTrainedWeights } from '../weights/trained-weights';
import { readSafetensorsIndex } from '../weights/safetensors';
import { TRAINED_STEP_KEY } from '../training/state-file';
import { resolveModel } from './model';

export class ExportError extends Error {
  override name = 'ExportError';
}

/** The weights a run has trained so far: a LoRA run's final export, else its newest step file (all a
 *  full run keeps: its exports are checkpoints made from it), finished when it reached `steps`. */
export async function trainedWeightsFile(files: ReturnType<typeof trainFiles>, steps: number): Promise<{ file: string; finished: boolean } | undefined> {
  if (existsSync(files.final)) return { file: files.final, finished: true };
  const latest = (await files.latestStep()) ?? (existsSync(files.legacy.weights) ? files.legacy.weights : undefined);
  if (!latest) return undefined;
  const step = Number((await readSafetensorsIndex(latest)).metadata[TRAINED_STEP_KEY] ?? 0);
  return { file: latest, finished: step >= steps };
}

export async function exportRun(params: ExportParams, ctx: JobContext): Promise<{ images: string[]; files: string[] }> {
  if (!EXPORT_FORMATS.includes(params.format)) throw new ExportError(`unknown export format "${params.format}"; known: ${EXPORT_FORMATS.join(', ')}`);
  const { concept } = loadConcept(params.conceptFile); // throws ConceptFileError listing every error
  const name = runName(concept, params.conceptFile);
  const files = trainFiles(concept.output, name, params.conceptFile);
  const trainedFile = await trainedWeightsFile(files, concept.train.steps);
  if (!trainedFile) throw new ExportError(`${params.conceptFile}: the run has no trained weights yet (no ${files.final} or ${files.atStep(0).replace('000000', 'NNNNNN')}); train first`);
  if (!trainedFile.finished) ctx.log('warn', `the run has not finished: exporting its last checkpoint (${trainedFile.file})`);
  const out = params.out ? resolve(params.out) : runLayout(concept.output).exportTarget(name, params.format, params.half);
  await checkTarget(out, params.format === 'diffusers' ? 'folder' : 'file', params.force); // before the model is opened

  ctx.progress({ phase: 'loading model', step: 0, total: 1 });
  const base = await openCheckpoint(await resolveModel(concept.model, ctx, params.hfToken));
  const trained = await openTrainedWeights(trainedFile.file);
  const plan = await planExport(base, trained, params.format, params.half);
  ctx.log('info', `exporting ${trained.kind === 'lora' ? 'a LoRA' : 'fully trained weights'} (${trainedFile.file}) on ${base.path} as ${params.format}${params.half ? ' (float16)' : ''}: ${(plan.bytes / 2 ** 20).toFixed(1)} MiB`);
  let shown = -1;
  await writeExport(plan, out, {
    force: params.force,
    onTensor: (done, total, tensor) => {
      checkCancelled(ctx);
      const percent = Math.floor((100 * done) / total);
      if (percent === shown) return;
      shown = percent;
      ctx.progress({ phase: 'exporting', step: done, total, message: tensor });
    },
  });
  return { images: [], files: [out] };
}
