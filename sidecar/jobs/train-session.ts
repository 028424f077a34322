// The training session of a run: the step graph's session and its state, and what happens around the
// steps — restoring a checkpoint, one step with its log record, saving (kohya LoRA + optimizer state,
// atomic), and sample images drawn with the session released (two UNets are never resident at once;
// re-creating the session afterwards takes seconds).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { TrainStepRecord } from '../../protocol/sidecar';
import { generationDefaults, type ResolvedConcept } from '../../language/resolve';
import { JobCancelled, type JobContext } from '../context/job-context';
import type { SdModel } from '../pipeline/sd-model';
import type { TrainingData } from '../training/data';
import { freshLoraWeights } from '../training/init';
import type { trainFiles } from '../training/layout';
import type { LoraSpec } from '../training/lora';
import { readLoraState, writeKohyaLora, writeOptimizerState } from '../training/lora-file';
import { peakRssMiB } from '../training/log';
import type { TrainStepGraph, TrainStepOptions } from '../training/step-graph';
import { LoraTrainer, type LoraState } from '../training/trainer';
import { generate } from './generate';

export interface SessionSetup {
  model: SdModel;
  modelPath: string;
  concept: ResolvedConcept;
  step: TrainStepOptions;
  lora: LoraSpec;
  files: ReturnType<typeof trainFiles>;
  cacheDir?: string;
  /** Steps of the sample images (default: the concept's first generate block's). */
  sampleSteps?: number;
}

export interface Saved {
  file: string;
  state: LoraState;
}

export class TrainSession {
  private trainer: LoraTrainer | undefined;
  /** The step graph, built at the first open and reused when the session is re-created after a sample. */
  private spec: TrainStepGraph | undefined;
  /** Every LoRA file written, and every sample image drawn. */
  readonly written: string[] = [];
  readonly samples: string[] = [];

  constructor(
    private readonly s: SessionSetup,
    private readonly ctx: JobContext,
  ) {}

  get step(): number {
    return this.live().step;
  }

  /** Builds the step's session; a cancel that arrived meanwhile stops here (nothing new to save). */
  async open(): Promise<void> {
    this.ctx.progress({ phase: 'building the training step', step: 0, total: 1 });
    const tr = await LoraTrainer.open(this.s.model, this.s.step, { cacheDir: this.s.cacheDir, spec: this.spec });
    this.spec = tr.spec;
    if (this.ctx.signal.aborted) {
      await tr.close();
      throw new JobCancelled();
    }
    this.trainer = tr;
  }

  /** The last checkpoint's state with `resume` (when there is one), else fresh adapters. */
  async restore(resume: boolean, seed: number): Promise<void> {
    const tr = this.live();
    const { files } = this.s;
    if (resume && existsSync(files.last)) {
      const state = await readLoraState(files.last, tr.spec.modules, files.lastOptimizer);
      await tr.setState(state);
      this.ctx.log('info', `resuming from step ${state.step} (${files.last})`);
      return;
    }
    if (resume) this.ctx.log('warn', `nothing to resume in ${files.checkpoints}: starting from step 0`);
    await tr.setState({ weights: freshLoraWeights(tr.spec.modules, seed), step: 0 });
  }

  /** One optimizer step at learning rate `lr`; the record the log and progress carry. */
  async run(data: TrainingData, lr: number): Promise<TrainStepRecord> {
    const t0 = Date.now();
    const step = this.step;
    const r = await this.live().run(data.batchAt(step), lr);
    if (!Number.isFinite(r.loss)) throw new TrainError(`the loss became ${r.loss} at step ${step + 1}; try a lower learning_rate`);
    return {
      step: step + 1,
      loss: r.loss,
      instanceLoss: r.instanceLoss,
      priorLoss: r.priorLoss,
      lr,
      gradNorm: r.gradNorm ?? null,
      stepSeconds: (Date.now() - t0) / 1000,
      peakRssMiB: peakRssMiB(),
      time: new Date().toISOString(),
    };
  }

  /** Writes the resumable checkpoint and a LoRA at this step (the export when `final`). */
  async save(final: boolean): Promise<Saved> {
    const tr = this.live();
    const { files, lora } = this.s;
    const state = await tr.state();
    const modules = tr.spec.modules;
    await mkdir(files.checkpoints, { recursive: true });
    await writeOptimizerState(files.lastOptimizer, modules, state);
    await writeKohyaLora(files.last, modules, lora, state.weights, state.step);
    const file = final ? files.final : files.atStep(state.step);
    if (final) await mkdir(files.exports, { recursive: true });
    await writeKohyaLora(file, modules, lora, state.weights, state.step);
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

  private live(): LoraTrainer {
    if (!this.trainer) throw new Error('TrainSession: the training session is not open');
    return this.trainer;
  }
}

/** A training run that cannot go on, with what to do about it. */
export class TrainError extends Error {
  override name = 'TrainError';
}
