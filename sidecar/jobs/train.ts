// The DreamBooth LoRA training job (`dreambooth train` and the sidecar's train request):
//   1. read the concept file; open the base model
//   2. prepare instance images (EXIF rotation, square crop on the subject, [-1, 1]); unreadable files
//      are skipped and reported
//   3. top up each concept's class folder to num_class_images with the base model (generate)
//   4. VAE-encode all images and encode the prompts once (UNet-only LoRA: the text encoder is frozen)
//   5. estimate the step's memory and choose recomputation, or refuse with what would fit (before
//      anything big is built: the OOM killer would lose the run)
//   6. train: one session run per step (forward, backward, AdamW), state on the device; each step is
//      a line of logs/train.jsonl and a progress report; every save_every steps and at the end a kohya
//      LoRA + optimizer state (atomic) and a sample image, drawn with the training session released
//      (never two UNets at once); on cancel, a checkpoint first. --resume continues from the last one.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { TrainParams, TrainStepRecord } from '../../protocol/sidecar';
import { loadConcept } from '../../language/load';
import { generationDefaults, runName } from '../../language/resolve';
import { generate } from './generate';
import { resolveModel } from './model';
import { SdModel } from '../pipeline/sd-model';
import { openRuntime, type Runtime } from '../runtime/runtime';
import type { ProviderName } from '../../protocol/vocabulary';
import { TrainingData } from '../training/data';
import { classImageOptions, topUpClassImages } from './class-images';
import { folderReport, prepareFolder, type PreparedImage } from '../training/images';
import { freshLoraWeights } from '../training/init';
import { trainFiles } from '../training/layout';
import { ATTENTION_TARGETS, type LoraSpec } from '../training/lora';
import { readLoraState, writeKohyaLora, writeOptimizerState } from '../training/lora-file';
import { LoraTrainer } from '../training/trainer';
import { lrAt, type LrSchedule } from '../training/lr-schedule';
import { peakRssMiB, TrainLog } from '../training/log';
import { planTrainMemory, type StepShape } from '../training/memory-plan';
import { formatGiB, memoryBudget } from '../runtime/memory';
import { JobCancelled, type JobContext } from '../context/job-context';

export class TrainError extends Error {
  override name = 'TrainError';
}

/** What the CLI and tests add to the protocol's parameters. */
export interface TrainExtras {
  /** Overrides the concept file's train.steps. */
  steps?: number;
  runtime?: Runtime;
  providers?: ProviderName[];
  cacheDir?: string;
  /** Steps of the sample images' sampler (default: the concept's first generate block, else 20). */
  sampleSteps?: number;
}

/** torch.nn.utils.clip_grad_norm_(…, 1.0), as train_dreambooth_lora.py does by default. */
const MAX_GRAD_NORM = 1.0;

export async function train(params: TrainParams, ctx: JobContext, extras: TrainExtras = {}): Promise<{ images: string[]; files: string[] }> {
  const { concept } = loadConcept(params.conceptFile); // throws ConceptFileError listing every error
  const t = concept.train;
  if (t.method !== 'lora') throw new TrainError(`${params.conceptFile}: train.method ${t.method} is not supported yet; use method lora`);
  if (t.trainTextEncoder) ctx.log('warn', 'train_text_encoder is not supported yet: only the UNet gets a LoRA');
  if (!concept.concepts.length) throw new TrainError(`${params.conceptFile}: no concept block to train`);
  const steps = extras.steps ?? t.steps;
  if (!Number.isInteger(steps) || steps < 1) throw new TrainError(`steps must be a positive integer, got ${steps}`);
  const schedule: LrSchedule = { scheduler: t.lrScheduler, lr: t.learningRate, warmup: t.lrWarmupSteps, steps };
  if (t.lrWarmupSteps >= steps && t.lrScheduler !== 'constant') throw new TrainError(`lr_warmup_steps ${t.lrWarmupSteps} is not fewer than the run's ${steps} steps: the learning rate would never reach learning_rate; use fewer warm-up steps`);
  const name = runName(concept, params.conceptFile);
  const files = trainFiles(concept.output, name);
  const modelPath = await resolveModel(concept.model, ctx, params.hfToken); // downloads a Hub id (sidecar/hub)

  ctx.progress({ phase: 'loading model', step: 0, total: 1 });
  const runtime = extras.runtime ?? (await openRuntime({ providers: extras.providers }));
  const model = await SdModel.open(modelPath, runtime, { cacheDir: extras.cacheDir });
  let trainer: LoraTrainer | undefined;
  const written: string[] = [];
  const samples: string[] = [];
  try {
    const res = t.resolution;
    if (res % model.vaeScale) throw new TrainError(`resolution must be a multiple of ${model.vaeScale}, got ${res}`);

    // Memory first: refusing after class images were generated would waste minutes. (Prior
    // preservation as configured; if class images turn out missing, the batch only gets smaller.)
    const lora: LoraSpec = { rank: t.loraRank, alpha: t.loraAlpha, targets: ATTENTION_TARGETS };
    const side = res / model.vaeScale;
    const prior = concept.concepts.every((c) => c.classPrompt !== null && c.numClassImages > 0);
    const shape: StepShape = { instanceBatch: t.batchSize, classBatch: prior ? t.batchSize : 0, height: side, width: side, lora, priorLossWeight: t.priorLossWeight, adam: { maxGradNorm: MAX_GRAD_NORM } };
    const weightBytes = [...model.checkpoint.weights.unet.tensors.values()].reduce((n, r) => n + r.length, 0);
    const plan = planTrainMemory(model.checkpoint.unet, shape, weightBytes, memoryBudget());
    ctx.log('info', `memory: a step needs about ${formatGiB(plan.estimateBytes)} of ${formatGiB(plan.budget.bytes)} (${plan.budget.source}); recomputing ${plan.checkpointing === 'blocks' ? 'ResNet and transformer blocks' : plan.checkpointing === 'resnets' ? 'ResNet blocks' : 'no blocks'} in the backward pass`);

    // 2–3. images
    const sets: { block: (typeof concept.concepts)[number]; instance: PreparedImage[]; classes: PreparedImage[] }[] = [];
    for (const c of concept.concepts) {
      ctx.progress({ phase: 'preparing images', step: 0, total: 1, message: c.name });
      const inst = await prepareFolder(c.instanceImages, res);
      for (const line of folderReport(inst, c.instanceImages)) ctx.log('warn', line);
      if (!inst.images.length) throw new TrainError(`concept ${c.name}: no readable image in ${c.instanceImages}`);
      let classes: PreparedImage[] = [];
      if (c.classPrompt !== null && c.numClassImages > 0) {
        await topUpClassImages(c, modelPath, { ...classImageOptions(concept), runtime, cacheDir: extras.cacheDir }, ctx);
        const cls = await prepareFolder(c.classImages, res);
        for (const line of folderReport(cls, c.classImages, 'class image')) ctx.log('warn', line);
        classes = cls.images.slice(0, c.numClassImages);
      }
      sets.push({ block: c, instance: inst.images, classes });
    }

    // 4. latents and prompt embeddings
    const data = await TrainingData.build(model, sets, {
      resolution: res,
      seed: t.seed,
      batchSize: t.batchSize,
      onImage: (done, total) => ctx.progress({ phase: 'encoding images', step: done, total }),
    });
    if (!data.withPrior && concept.concepts.some((c) => c.classPrompt !== null && c.numClassImages > 0)) ctx.log('warn', 'prior preservation is off: not every concept has class images');

    await model.release('text_encoder'); // prompts and latents are encoded: only the UNet is needed now
    await model.release('vae_encoder');
    if (!data.withPrior) shape.classBatch = 0;

    // 6. training
    const openTrainer = async () => {
      ctx.progress({ phase: 'building the training step', step: 0, total: 1 });
      const tr = await LoraTrainer.open(model, { ...shape, checkpointing: plan.checkpointing }, { cacheDir: extras.cacheDir });
      if (ctx.signal.aborted) {
        await tr.close(); // cancelled while the session was being created: nothing new to save
        throw new JobCancelled();
      }
      return tr;
    };
    trainer = await openTrainer();
    const modules = trainer.spec.modules;
    if (params.resume && existsSync(files.last)) {
      const s = await readLoraState(files.last, modules, files.lastOptimizer);
      await trainer.setState(s);
      ctx.log('info', `resuming from step ${s.step} (${files.last})`);
    } else {
      if (params.resume) ctx.log('warn', `nothing to resume in ${files.checkpoints}: starting from step 0`);
      await trainer.setState({ weights: freshLoraWeights(modules, t.seed), step: 0 });
    }
    const log = TrainLog.open(files.log, trainer.step);

    const save = async (final: boolean) => {
      const s = await trainer!.state();
      await mkdir(files.checkpoints, { recursive: true });
      await writeOptimizerState(files.lastOptimizer, modules, s);
      await writeKohyaLora(files.last, modules, lora, s.weights, s.step);
      const out = final ? files.final : files.atStep(s.step);
      if (final) await mkdir(files.exports, { recursive: true });
      await writeKohyaLora(out, modules, lora, s.weights, s.step);
      written.push(out);
      return { file: out, state: s };
    };
    /** Draws the sample with the training session released, then (unless it was the last) restores it. */
    const sample = async (saved: Awaited<ReturnType<typeof save>>, last: boolean) => {
      await trainer!.close();
      trainer = undefined;
      const g = Object.values(concept.generate)[0] ?? generationDefaults();
      const imgs = await generate(
        { model: modelPath, prompt: t.samplePrompt, negativePrompt: g.negativePrompt, count: 1, steps: extras.sampleSteps ?? g.steps, guidance: g.guidance, sampler: g.sampler, seed: t.seed, width: res, height: res, outDir: files.samples, lora: saved.file },
        { ...ctx, progress: () => {} },
        { runtime, cacheDir: extras.cacheDir },
      );
      samples.push(...imgs);
      ctx.progress({ phase: 'training', step: saved.state.step, total: steps, message: `sample image at step ${saved.state.step}`, images: [...samples] });
      if (last) return;
      trainer = await openTrainer();
      await trainer.setState(saved.state);
    };

    const start = trainer.step;
    if (start >= steps) ctx.log('info', `already trained ${start} steps (of ${steps})`);
    const t0 = Date.now();
    let trained = 0;
    for (let step = start; step < steps; step++) {
      if (ctx.signal.aborted) {
        const { file } = await save(false);
        ctx.log('info', `cancelled at step ${step}: checkpoint saved (${file}); continue with --resume`);
        throw new JobCancelled();
      }
      const s0 = Date.now();
      const lr = lrAt(schedule, step);
      const r = await trainer!.run(data.batchAt(step), lr);
      if (!Number.isFinite(r.loss)) throw new TrainError(`the loss became ${r.loss} at step ${step + 1}; try a lower learning_rate`);
      const done = step + 1;
      trained++;
      const record: TrainStepRecord = {
        step: done,
        loss: r.loss,
        instanceLoss: r.instanceLoss,
        priorLoss: r.priorLoss,
        lr,
        gradNorm: r.gradNorm ?? null,
        stepSeconds: (Date.now() - s0) / 1000,
        peakRssMiB: peakRssMiB(),
        time: new Date().toISOString(),
      };
      log.append(record);
      const perStep = (Date.now() - t0) / 1000 / trained;
      ctx.progress({ phase: 'training', step: done, total: steps, loss: r.loss, etaSeconds: Math.round(perStep * (steps - done)), train: record });
      if (done < steps && t.saveEvery > 0 && done % t.saveEvery === 0) await sample(await save(false), false);
    }
    await sample(await save(true), true);
    return { images: samples, files: [...written] };
  } finally {
    await trainer?.close();
    await model.close();
    if (!extras.runtime) await runtime.close();
  }
}
