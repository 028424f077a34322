// The DreamBooth training job (`dreambooth train` and the sidecar's train request), LoRA or full
// fine-tuning of the UNet, optionally with the text encoder:
//   1. read the concept file; open the base model
//   2. prepare instance images (EXIF rotation, square crop on the subject, [-1, 1]); unreadable files
//      are skipped and reported
//   3. top up each concept's class folder to num_class_images with the base model (generate)
//   4. VAE-encode all images; encode the prompts once (frozen text encoder) or tokenise them (trained)
//   5. estimate the step's memory and choose recomputation, or refuse with what would fit (before
//      anything big is built: the OOM killer would lose the run)
//   6. train (train-session.ts): one session run per step (forward, backward, AdamW), state on the
//      device; each step is a line of logs/train.jsonl and a progress report; every save_every steps and
//      at the end the weights (kohya LoRA or full) + optimizer state (atomic) and a sample image, drawn with the training
//      session released (never two UNets at once); on cancel, a checkpoint first. --resume continues
//      from the last one when the settings match (training/run-start.ts); a fresh start moves a
//      previous run aside.
//   7. a full run also exports a merged single-file checkpoint (jobs/export.ts)
import type { TrainParams } from '../../protocol/sidecar';
import type { ProviderName } from '../../protocol/vocabulary';
import { loadConcept } from '../../language/load';
import { runName, type ResolvedConcept } from '../../language/resolve';
import { JobCancelled, type JobContext } from '../context/job-context';
import { SdModel } from '../pipeline/sd-model';
import { formatGiB, memoryBudget } from '../runtime/memory';
import { openRuntime, type Runtime } from '../runtime/runtime';
import { TrainingData } from '../training/data';
import { folderReport, prepareFolder, type PreparedImage } from '../training/images';
import { removeStrayTemps, trainFiles } from '../training/layout';
import { TrainLog } from '../training/log';
import { lockRun } from '../training/run-lock';
import { startRun } from '../training/run-start';
import { runSettingsOf } from '../../language/run-settings';
import { ATTENTION_TARGETS, type LoraSpec } from '../training/lora';
import { lrAt, type LrSchedule } from '../training/lr-schedule';
import { planTrainMemory, type StepShape, type TrainMemoryPlan } from '../training/memory-plan';
import { classImageOptions, topUpClassImages } from './class-images';
import { exportRun } from './export';
import { resolveModel } from './model';
import { TrainError, TrainSession } from './train-session';

export { TrainError } from './train-session';

/** What the CLI and tests add to the protocol's parameters. */
export interface TrainExtras {
  /** Overrides the concept file's train.steps. */
  steps?: number;
  runtime?: Runtime;
  providers?: ProviderName[];
  cacheDir?: string;
  /** Steps of the sample images' sampler (default: the concept's first generate block's). */
  sampleSteps?: number;
}

export async function train(params: TrainParams, ctx: JobContext, extras: TrainExtras = {}): Promise<{ images: string[]; files: string[] }> {
  const run = runSettings(params, extras);
  const { concept, steps, files } = run;
  const unlock = await lockRun(concept.output); // one run per output folder (RunLockedError otherwise)
  let runtime: Runtime | undefined;
  let model: SdModel | undefined;
  let session: TrainSession | undefined;
  try {
    const begun = await startRun(concept.output, params.conceptFile, runSettingsOf(concept), params.resume); // a changed resume refuses here
    if (begun.movedTo) ctx.log('info', `training from scratch: the previous run was moved to ${begun.movedTo}`);
    if (begun.unrecorded) ctx.log('warn', `the checkpoint in ${files.checkpoints} has no recorded settings: resuming on the assumption that they are the same`);
    const modelPath = await resolveModel(concept.model, ctx, params.hfToken); // downloads a Hub id (sidecar/hub)
    await removeStrayTemps(files).then((gone) => gone.forEach((f) => ctx.log('info', `removed ${f}, left by an interrupted save`)));
    ctx.progress({ phase: 'loading model', step: 0, total: 1 });
    runtime = extras.runtime ?? (await openRuntime({ providers: extras.providers }));
    model = await SdModel.open(modelPath, runtime, { cacheDir: extras.cacheDir });
    const { shape, plan } = planStep(model, concept, ctx); // before anything big: the OOM killer would lose the run
    const data = await trainingSet(model, modelPath, concept, ctx, extras);
    const planned = data.withPrior || shape.classBatch === 0; // else the step shrinks: built anew
    if (!data.withPrior) shape.classBatch = 0;
    const spec = planned ? plan.step : undefined;
    session = new TrainSession({ model, modelPath, concept, step: { ...shape, checkpointing: plan.checkpointing }, lora: shape.lora, files, cacheDir: extras.cacheDir, sampleSteps: extras.sampleSteps, spec }, ctx);
    await session.open();
    await session.restore(params.resume, concept.train.seed);
    await trainSteps(session, data, run, ctx);
    await session.sample(await session.save(true), steps, true);
    const exported = concept.train.method === 'full' ? await exportCheckpoint(params, model, ctx) : [];
    return { images: session.samples, files: [...session.written, ...exported] };
  } finally {
    await session?.close();
    await model?.close();
    if (!extras.runtime) await runtime?.close();
    await unlock();
  }
}

/** A full run ends with what AUTOMATIC1111 and ComfyUI load: a merged single-file checkpoint in
 *  exports/, float16 when the base model is stored so. */
async function exportCheckpoint(params: TrainParams, model: SdModel, ctx: JobContext): Promise<string[]> {
  const half = [...model.checkpoint.weights.unet.tensors.values()].every((t) => t.dtype !== 'F32');
  const { files } = await exportRun({ conceptFile: params.conceptFile, format: 'checkpoint', half, force: true, hfToken: params.hfToken }, ctx);
  return files;
}

interface RunSettings {
  concept: ResolvedConcept;
  steps: number;
  schedule: LrSchedule;
  files: ReturnType<typeof trainFiles>;
}

/** The concept file's training settings, checked (every problem before any work). */
function runSettings(params: TrainParams, extras: TrainExtras): RunSettings {
  const { concept } = loadConcept(params.conceptFile); // throws ConceptFileError listing every error
  const t = concept.train;
  if (!concept.concepts.length) throw new TrainError(`${params.conceptFile}: no concept block to train`);
  const steps = extras.steps ?? t.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new TrainError(`steps must be a positive integer, got ${steps}`);
  if (t.lrWarmupSteps >= steps && t.lrScheduler !== 'constant') throw new TrainError(`lr_warmup_steps ${t.lrWarmupSteps} is not fewer than the run's ${steps} steps: the learning rate would never reach learning_rate; use fewer warm-up steps`);
  const schedule: LrSchedule = { scheduler: t.lrScheduler, lr: t.learningRate, warmup: t.lrWarmupSteps, steps };
  return { concept, steps, schedule, files: trainFiles(concept.output, runName(concept, params.conceptFile), params.conceptFile) };
}

/** The step's shape and memory plan, with prior preservation as configured (if class images turn out
 *  missing the batch only gets smaller). Refuses (TrainMemoryError) when it cannot fit. */
function planStep(model: SdModel, concept: ResolvedConcept, ctx: JobContext): { shape: StepShape; plan: TrainMemoryPlan } {
  const t = concept.train;
  if (t.resolution % model.vaeScale) throw new TrainError(`resolution must be a multiple of ${model.vaeScale}, got ${t.resolution}`);
  const lora: LoraSpec | undefined = t.method === 'lora' ? { rank: t.loraRank, alpha: t.loraAlpha, targets: ATTENTION_TARGETS } : undefined;
  const side = t.resolution / model.vaeScale;
  const prior = concept.concepts.every((c) => c.classPrompt !== null && c.numClassImages > 0);
  const ck = model.checkpoint;
  const shape: StepShape = {
    instanceBatch: t.batchSize,
    classBatch: prior ? t.batchSize : 0,
    height: side,
    width: side,
    unet: t.method,
    lora,
    textEncoder: t.trainTextEncoder ? { config: ck.textEncoder, mode: t.method, steps: t.trainTextEncoderSteps } : undefined,
    priorLossWeight: t.priorLossWeight,
    adam: { maxGradNorm: t.maxGradNorm > 0 ? t.maxGradNorm : undefined },
    accumulate: t.gradientAccumulationSteps > 1,
    mixedPrecision: t.mixedPrecision === 'fp16' ? 'fp16' : undefined,
  };
  if (t.mixedPrecision === 'fp16' && model.runtime.provider === 'cpu') {
    ctx.log('warn', 'mixed_precision fp16 on the CPU provider: float16 has no fast kernels there, so steps are slower than with mixed_precision no (it is meant for GPUs: --provider webgpu or cuda)');
  }
  // The frozen weights of the step, resident as stored (what is trained in full is fed as float32 instead).
  const stored = (c: 'unet' | 'text_encoder') => [...ck.weights[c].tensors.values()].reduce((n, r) => n + r.length, 0);
  const weightBytes = (t.method === 'full' ? 0 : stored('unet')) + (t.trainTextEncoder && t.method === 'lora' ? stored('text_encoder') : 0);
  const plan = planTrainMemory(ck.unet, shape, weightBytes, memoryBudget());
  const recomputed = { blocks: 'ResNet and transformer blocks', resnets: 'ResNet blocks', none: 'no blocks' }[plan.checkpointing];
  ctx.log('info', `memory: a step needs about ${formatGiB(plan.estimateBytes)} of ${formatGiB(plan.budget.bytes)} (${plan.budget.source}); recomputing ${recomputed} in the backward pass`);
  return { shape, plan };
}

/** Instance photos prepared, class folders topped up, everything VAE-encoded and the prompts encoded
 *  once (or tokenised, when the text encoder is trained); then the inference text encoder and the VAE
 *  encoder are released (only the training step is needed from here). */
async function trainingSet(model: SdModel, modelPath: string, concept: ResolvedConcept, ctx: JobContext, extras: TrainExtras): Promise<TrainingData> {
  const res = concept.train.resolution;
  const sets: { block: ResolvedConcept['concepts'][number]; instance: PreparedImage[]; classes: PreparedImage[] }[] = [];
  for (const c of concept.concepts) {
    ctx.progress({ phase: 'preparing images', step: 0, total: 1, message: c.name });
    const inst = await prepareFolder(c.instanceImages, res);
    for (const line of folderReport(inst, c.instanceImages)) ctx.log('warn', line);
    if (!inst.images.length) throw new TrainError(`concept ${c.name}: no readable image in ${c.instanceImages}`);
    let classes: PreparedImage[] = [];
    if (c.classPrompt !== null && c.numClassImages > 0) {
      await topUpClassImages(c, modelPath, { ...classImageOptions(concept), runtime: model.runtime, cacheDir: extras.cacheDir }, ctx);
      const cls = await prepareFolder(c.classImages, res);
      for (const line of folderReport(cls, c.classImages, 'class image')) ctx.log('warn', line);
      classes = cls.images.slice(0, c.numClassImages);
    }
    sets.push({ block: c, instance: inst.images, classes });
  }
  const data = await TrainingData.build(model, sets, {
    resolution: res,
    seed: concept.train.seed,
    batchSize: concept.train.batchSize,
    conditioning: concept.train.trainTextEncoder ? 'input_ids' : 'context',
    augment: { noiseOffset: concept.train.noiseOffset, randomFlip: concept.train.randomFlip, minSnrGamma: concept.train.minSnrGamma },
    onImage: (done, total) => ctx.progress({ phase: 'encoding images', step: done, total }),
  });
  if (!data.withPrior && concept.concepts.some((c) => c.classPrompt !== null && c.numClassImages > 0)) ctx.log('warn', 'prior preservation is off: not every concept has class images');
  await model.release('text_encoder');
  await model.release('vae_encoder');
  return data;
}

/** The steps from the session's step to the run's end: log, progress, periodic saves with a sample;
 *  a cancel saves a checkpoint first. */
async function trainSteps(session: TrainSession, data: TrainingData, run: RunSettings, ctx: JobContext): Promise<void> {
  const { steps, schedule, files } = run;
  const start = session.step;
  if (start >= steps) ctx.log('info', `already trained ${start} steps (of ${steps})`);
  const log = await TrainLog.open(files.log, start);
  const t0 = Date.now();
  for (let step = start; step < steps; step++) {
    if (ctx.signal.aborted) {
      const { file } = await session.save(false);
      ctx.log('info', `cancelled at step ${step}: checkpoint saved (${file}); continue with --resume`);
      throw new JobCancelled();
    }
    const record = await session.run(data, lrAt(schedule, session.updates));
    log.append(record);
    const perStep = (Date.now() - t0) / 1000 / (record.step - start);
    ctx.progress({ phase: 'training', step: record.step, total: steps, loss: record.loss, etaSeconds: Math.round(perStep * (steps - record.step)), train: record });
    const every = run.concept.train.saveEvery;
    if (record.step < steps && every > 0 && record.step % every === 0) await session.sample(await session.save(false), steps, false);
  }
}
