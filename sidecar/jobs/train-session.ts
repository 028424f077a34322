// The training session of a run: the step graph's session and its state, and what happens around the
// steps — restoring a checkpoint, one step with its log record, saving (the weights file — kohya LoRA
// or full weights — and the optimizer state, atomic), and sample images drawn with the session
// released (two UNets are never resident at once; re-creating the session afterwards takes seconds).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { TrainStepRecord } from '../../protocol/sidecar';
import { generationDefaults, type ResolvedConcept } from '../../language/resolve';
import { JobCancelled, type JobContext } from '../context/job-context';
import type { SdModel } from '../pipeline/sd-model';
import type { TrainingData } from '../training/data';
import { freshLoraWeights } from '../training/init';
import { baseValues } from '../training/step-weights';
import type { trainFiles } from '../training/layout';
import type { LoraSpec } from '../training/lora';
import { readResumeState, readTrainState, writeResumeState, writeTrainedWeights } from '../training/state-file';
import { peakRssMiB } from '../training/log';
import type { TrainStepGraph, TrainStepOptions } from '../training/step-graph';
import { Trainer, type TrainState } from '../training/trainer';
import { generate } from './generate';

export interface SessionSetup {
  model: SdModel;
  modelPath: string;
  concept: ResolvedConcept;
  step: TrainStepOptions;
  /** Rank and alpha when adapters are trained. */
  lora?: LoraSpec;
  files: ReturnType<typeof trainFiles>;
  cacheDir?: string;
  /** Steps of the sample images (default: the concept's first generate block's). */
  sampleSteps?: number;
  /** The step graph already built for `step` (the memory plan's). */
  spec?: TrainStepGraph;
}

export interface Saved {
  file: string;
  state: TrainState;
}

export class TrainSession {
  private trainer: Trainer | undefined;
  /** The step graph: the memory plan's, or built at the first open; reused when the session is re-created after a sample. */
  private spec: TrainStepGraph | undefined;
  /** Every weights file written, and every sample image drawn. */
  readonly written: string[] = [];
  readonly samples: string[] = [];

  constructor(
    private readonly s: SessionSetup,
    private readonly ctx: JobContext,
  ) {
    this.spec = s.spec;
  }

  get step(): number {
    return this.live().step;
  }

  /** Updates made (Trainer.updates): where the learning-rate schedule is. */
  get updates(): number {
    return this.live().updates;
  }

  /** Builds the step's session; a cancel that arrived meanwhile stops here (nothing new to save). */
  async open(): Promise<void> {
    this.ctx.progress({ phase: 'building the training step', step: 0, total: 1 });
    const tr = await Trainer.open(this.s.model, this.s.step, { cacheDir: this.s.cacheDir, spec: this.spec });
    this.spec = tr.spec;
    if (this.ctx.signal.aborted) {
      await tr.close();
      throw new JobCancelled();
    }
    this.trainer = tr;
  }

  /** The last checkpoint's state with `resume` (when there is one), else fresh adapters and the base
   *  model's weights for what is trained in full. */
  async restore(resume: boolean, seed: number): Promise<void> {
    const tr = this.live();
    const { files } = this.s;
    if (resume && existsSync(files.resume)) {
      const state = await readResumeState(files.resume, tr.spec);
      await tr.setState(state);
      this.ctx.log('info', `resuming from step ${state.step} (${files.resume})`);
      return;
    }
    if (resume && existsSync(files.legacy.weights)) {
      const state = await readTrainState(files.legacy.weights, tr.spec, files.legacy.optimizer);
      await tr.setState(state);
      this.ctx.log('info', `resuming from step ${state.step} (${files.legacy.weights}, saved by an earlier version)`);
      return;
    }
    if (resume) this.ctx.log('warn', `nothing to resume in ${files.checkpoints}: starting from step 0`);
    const weights = new Map([...freshLoraWeights(tr.spec.modules, seed), ...(await baseValues(this.s.model.checkpoint, tr.spec))]);
    await tr.setState({ weights, step: 0 });
  }

  /** One optimizer step at learning rate `lr`; the record the log and progress carry. */
  async run(data: TrainingData, lr: number): Promise<TrainStepRecord> {
    const t0 = Date.now();
    const step = this.step;
    const k = this.s.concept.train.gradientAccumulationSteps;
    const r = await this.live().run(Array.from({ length: k }, (_, micro) => data.batchAt(step, micro)), lr);
    if (!Number.isFinite(r.loss)) throw new TrainError(`the loss became ${r.loss} at step ${step + 1}; try a lower learning_rate`);
    return {
      step: step + 1,
      loss: r.loss,
      instanceLoss: r.instanceLoss,
      priorLoss: r.priorLoss,
      lr,
      gradNorm: r.gradNorm !== undefined && Number.isFinite(r.gradNorm) ? r.gradNorm : null,
      ...(r.lossScale !== undefined ? { lossScale: r.lossScale, skipped: r.skipped ?? false } : {}),
      stepSeconds: (Date.now() - t0) / 1000,
      peakRssMiB: peakRssMiB(),
      time: new Date().toISOString(),
    };
  }

  /** Writes the weights at this step (for a LoRA run, the export when `final`; a full run's weights are
   *  turned into a checkpoint by the export), then the resume state — each one atomic rename. */
  async save(final: boolean): Promise<Saved> {
    const tr = this.live();
    const { files, lora } = this.s;
    const state = await tr.state();
    const spec = tr.spec;
    await mkdir(files.checkpoints, { recursive: true });
    const exported = final && spec.modules.length > 0;
    const file = exported ? files.final : files.atStep(state.step);
    if (exported) await mkdir(files.exports, { recursive: true });
    await writeTrainedWeights(file, spec, lora, state.weights, state.step);
    await writeResumeState(files.resume, spec, state);
    this.written.push(file);
    return { file, state };
  }

  /** Draws the sample image of `saved` with the session released; then restores it unless `last`. */
  async sample(saved: Saved, total: number, last: boolean): Promise<void> {
    const { concept, files } = this.s;
    await this.close();
    const g = Object.values(concept.generate)[0] ?? generationDefaults();
    const res = concept.train.resolution;
    const imgs = await generate(
      { model: this.s.modelPath, prompt: concept.train.samplePrompt, negativePrompt: g.negativePrompt, count: 1, steps: this.s.sampleSteps ?? g.steps, guidance: g.guidance, sampler: g.sampler, seed: concept.train.seed, width: res, height: res, outDir: files.samplesAt(saved.state.step), lora: saved.file },
      { ...this.ctx, progress: () => {} },
      { runtime: this.s.model.runtime, cacheDir: this.s.cacheDir },
    );
    this.samples.push(...imgs);
    this.ctx.progress({ phase: 'training', step: saved.state.step, total, message: `sample image at step ${saved.state.step}`, images: [...this.samples] });
    if (last) return;
    await this.open();
    await this.live().setState(saved.state);
  }

  async close(): Promise<void> {
    const tr = this.trainer;
    this.trainer = undefined;
    await tr?.close();
  }

  private live(): Trainer {
    if (!this.trainer) throw new Error('TrainSession: the training session is not open');
    return this.trainer;
  }
}

/** A training run that cannot go on, with what to do about it. */
export class TrainError extends Error {
  override name = 'TrainError';
}
