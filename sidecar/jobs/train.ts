// The DreamBooth LoRA training job (`dreambooth train` and the sidecar's train request):
//   1. read the concept file; open the base model
//   2. prepare instance images (EXIF rotation, square crop on the subject, [-1, 1]); unreadable files
//      are skipped and reported
//   3. top up each concept's class folder to num_class_images with the base model (generate)
//   4. VAE-encode all images and encode the prompts once (UNet-only LoRA: the text encoder is frozen)
//   5. train: one session run per step (forward, backward, AdamW), state on the device; progress with
//      loss and ETA; every save_every steps and at the end a kohya LoRA + optimizer state (atomic)
//      and a sample image; on cancel, a checkpoint first. --resume continues from the last checkpoint.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { TrainParams } from '../../protocol/sidecar';
import { loadConcept } from '../../language/load';
import { runName } from '../../language/resolve';
import { generate, resolveModel } from '../pipeline/generate';
import { SdModel } from '../pipeline/sd-model';
import { openRuntime, type Runtime } from '../runtime/runtime';
import type { ProviderName } from '../../protocol/vocabulary';
import { TrainingData } from '../training/data';
import { classImageOptions, topUpClassImages } from '../training/class-images';
import { prepareFolder, type PreparedImage } from '../training/images';
import { freshLoraWeights } from '../training/init';
import { trainFiles } from '../training/layout';
import { ATTENTION_TARGETS, type LoraSpec } from '../training/lora';
import { readLoraState, writeKohyaLora, writeOptimizerState } from '../training/lora-file';
import { LoraTrainer } from '../training/trainer';
import { JobCancelled, type JobContext } from './context';

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

    // 2–3. images
    const sets: { block: (typeof concept.concepts)[number]; instance: PreparedImage[]; classes: PreparedImage[] }[] = [];
    for (const c of concept.concepts) {
      ctx.progress({ phase: 'preparing images', step: 0, total: 1, message: c.name });
      const inst = await prepareFolder(c.instanceImages, res);
      for (const s of inst.skipped) ctx.log('warn', `skipped ${s.file}: ${s.reason}`);
      if (!inst.images.length) throw new TrainError(`concept ${c.name}: no readable image in ${c.instanceImages}`);
      let classes: PreparedImage[] = [];
      if (c.classPrompt !== null && c.numClassImages > 0) {
        await topUpClassImages(c, modelPath, { ...classImageOptions(concept), runtime, cacheDir: extras.cacheDir }, ctx);
        const cls = await prepareFolder(c.classImages, res);
        for (const s of cls.skipped) ctx.log('warn', `skipped class image ${s.file}: ${s.reason}`);
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

    // 5. training
    const lora: LoraSpec = { rank: t.loraRank, alpha: t.loraAlpha, targets: ATTENTION_TARGETS };
    const [, h, w] = data.latentShape;
    trainer = await LoraTrainer.open(
      model,
      { instanceBatch: t.batchSize, classBatch: data.withPrior ? t.batchSize : 0, height: h, width: w, lora, priorLossWeight: t.priorLossWeight, adam: { maxGradNorm: MAX_GRAD_NORM } },
      { cacheDir: extras.cacheDir },
    );
    const modules = trainer.spec.modules;
    if (params.resume && existsSync(files.last)) {
      const s = await readLoraState(files.last, modules, files.lastOptimizer);
      await trainer.setState(s);
      ctx.log('info', `resuming from step ${s.step} (${files.last})`);
    } else {
      if (params.resume) ctx.log('warn', `nothing to resume in ${files.checkpoints}: starting from step 0`);
      await trainer.setState({ weights: freshLoraWeights(modules, t.seed), step: 0 });
    }

    const tr = trainer;
    const save = async (final: boolean) => {
      const s = await tr.state();
      await mkdir(files.checkpoints, { recursive: true });
      await writeOptimizerState(files.lastOptimizer, modules, s);
      await writeKohyaLora(files.last, modules, lora, s.weights, s.step);
      const out = final ? files.final : files.atStep(s.step);
      if (final) await mkdir(files.exports, { recursive: true });
      await writeKohyaLora(out, modules, lora, s.weights, s.step);
      written.push(out);
      return out;
    };
    const sample = async (loraFile: string, step: number) => {
      const g = Object.values(concept.generate)[0];
      const imgs = await generate(
        { model: modelPath, prompt: t.samplePrompt, negativePrompt: g?.negativePrompt ?? '', count: 1, steps: extras.sampleSteps ?? g?.steps ?? 20, guidance: g?.guidance ?? 7.5, sampler: g?.sampler ?? 'dpmpp_2m', seed: t.seed, width: res, height: res, outDir: files.samples, lora: loraFile },
        { ...ctx, progress: () => {} },
        { runtime, cacheDir: extras.cacheDir },
      );
      samples.push(...imgs);
      ctx.progress({ phase: 'training', step, total: steps, message: `sample image at step ${step}`, images: [...samples] });
    };

    const start = trainer.step;
    if (start >= steps) ctx.log('info', `already trained ${start} steps (of ${steps})`);
    const t0 = Date.now();
    for (let step = start; step < steps; step++) {
      if (ctx.signal.aborted) {
        const f = await save(false);
        ctx.log('info', `cancelled at step ${step}: checkpoint saved (${f}); continue with --resume`);
        throw new JobCancelled();
      }
      const r = await trainer.run(data.batchAt(step), t.learningRate);
      if (!Number.isFinite(r.loss)) throw new TrainError(`the loss became ${r.loss} at step ${step + 1}; try a lower learning_rate`);
      const done = step + 1;
      const perStep = (Date.now() - t0) / 1000 / (done - start);
      ctx.progress({ phase: 'training', step: done, total: steps, loss: r.loss, etaSeconds: Math.round(perStep * (steps - done)) });
      if (done < steps && t.saveEvery > 0 && done % t.saveEvery === 0) await sample(await save(false), done);
    }
    const final = await save(true);
    await sample(final, trainer.step);
    return { images: samples, files: [...written] };
  } finally {
    await trainer?.close();
    await model.close();
    if (!extras.runtime) await runtime.close();
  }
}
