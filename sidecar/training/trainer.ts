// Runs the training-step graph: one session, trained weights and AdamW moments kept on the device
// (worker memory on CPU, GPU buffers with WebGPU/CUDA) between steps; only the batch goes in and
// the losses come out each step. `state()` downloads weights and moments for checkpoints.
import { contextDim } from '../models/configs';
import { loadComponent } from '../pipeline/components';
import type { SdModel } from '../pipeline/sd-model';
import type { DeviceTensor, HostTensor, Session } from '../runtime/runtime';
import { isDeviceTensor } from '../runtime/runtime';
import { initialLossScale, type LossScaleState, updateLossScale } from './loss-scale';
import { buildTrainStep, STEP_IO, type TrainStepGraph, type TrainStepOptions } from './step-graph';
import { stepWeights } from './step-weights';

/** Trained weights and optimizer moments by graph parameter name (`<module path>.lora_down.weight`,
 *  `conv_in.weight`, `text_encoder.text_model.…`). */
export interface TrainState {
  weights: Map<string, Float32Array>;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
  /** Optimizer steps taken so far (0 before the first). */
  step: number;
  /** Mixed precision: the loss scale and the steps it skipped. */
  lossScale?: LossScaleState;
}

export interface StepBatch {
  /** [B, C, h, w], instance items first. */
  noisyLatents: Float32Array;
  timesteps: number[];
  /** [B, L, D]: the frozen text encoder's output (when the step's conditioning is the context). */
  context?: Float32Array;
  /** [B][L] token ids (when the text encoder is trained in the step). */
  inputIds?: number[][];
  /** Noise (epsilon prediction) or velocity (v_prediction), [B, C, h, w]. */
  target: Float32Array;
  /** Loss weight of each instance item (min-SNR); absent: 1. */
  lossWeights?: Float32Array;
}

export interface StepResult {
  loss: number;
  instanceLoss: number;
  priorLoss: number;
  /** Global gradient norm before clipping (when clipping is on). */
  gradNorm?: number;
  /** The UNet's prediction for the batch (before this step's update). */
  pred: Float32Array;
  /** Per-parameter gradients, when the graph was built with outputGrads. */
  grads?: Map<string, Float32Array>;
  /** Mixed precision: the scale the step's loss was multiplied by, and whether its gradients overflowed
   *  (then the update was skipped). */
  lossScale?: number;
  skipped?: boolean;
  /** Whether the step's gradients were all finite (always true without mixed precision). */
  finite?: boolean;
}

const f32 = (data: Float32Array, dims: readonly number[]): HostTensor => ({ dtype: 'float32', dims, data });

export class Trainer {
  private current: Record<string, HostTensor | DeviceTensor> = {};
  private stepCount = 0;
  private scaler: LossScaleState | undefined;

  private constructor(
    private readonly model: SdModel,
    readonly spec: TrainStepGraph,
    private readonly session: Session,
    private readonly o: TrainStepOptions,
  ) {}

  /** `opts.spec`: the step graph already built from `o` (a session re-opened after a sample reuses it). */
  static async open(model: SdModel, o: TrainStepOptions, opts: { cacheDir?: string; spec?: TrainStepGraph } = {}): Promise<Trainer> {
    const spec = opts.spec ?? buildTrainStep(model.checkpoint.unet, o);
    const session = await loadComponent(model.runtime, spec.graph, stepWeights(model.checkpoint, spec), { cacheDir: opts.cacheDir, training: true });
    return new Trainer(model, spec, session, o);
  }

  /** Trained parameters' names and shapes, in graph order. */
  get params(): { name: string; shape: number[] }[] {
    return this.spec.params.map((p) => ({ name: p.name, shape: p.shape as number[] }));
  }

  get step(): number {
    return this.stepCount;
  }

  /** Sets weights (and moments, zero when absent) and the step count; replaces any device state. */
  async setState(s: Pick<TrainState, 'weights' | 'step'> & Partial<TrainState>): Promise<void> {
    await this.releaseCurrent();
    const next: Record<string, HostTensor> = {};
    for (const [i, p] of this.params.entries()) {
      const slot = this.spec.adam.slots[i]!;
      const n = p.shape.reduce((a, d) => a * d, 1);
      const take = (map: Map<string, Float32Array> | undefined, what: string, zero: boolean) => {
        const a = map?.get(p.name);
        if (!a) {
          if (zero) return new Float32Array(n);
          throw new Error(`training state: no ${what} for "${p.name}"`);
        }
        if (a.length !== n) throw new Error(`training state: ${what} of "${p.name}" has ${a.length} values, the model needs [${p.shape.join(', ')}]`);
        return a;
      };
      next[slot.param] = f32(take(s.weights, 'weights', false), p.shape);
      next[slot.m] = f32(take(s.m, 'first moment', true), p.shape);
      next[slot.v] = f32(take(s.v, 'second moment', true), p.shape);
      const acc = this.spec.accumulators[i];
      if (acc) next[acc.input] = f32(new Float32Array(n), p.shape);
    }
    this.current = next;
    this.stepCount = s.step;
    this.scaler = this.o.mixedPrecision ? (s.lossScale ?? initialLossScale()) : undefined;
  }

  /** Updates made so far: the steps run less those skipped on a float16 overflow. AdamW's step count
   *  and the learning-rate schedule count these (accelerate does not step its scheduler on a skipped step). */
  get updates(): number {
    return this.stepCount - (this.scaler?.skipped ?? 0);
  }

  /** One optimizer step: forward + backward of each batch (more than one with gradient accumulation:
   *  their gradients averaged) and the AdamW update; the updated state stays on the device. The
   *  losses reported are the batches' mean; the gradient norm and prediction those of the last. */
  async run(batches: StepBatch | StepBatch[], lr: number): Promise<StepResult> {
    const list = Array.isArray(batches) ? batches : [batches];
    const k = list.length;
    if (k > 1 && !this.spec.accumulators.length) throw new Error('Trainer: several batches per step need a step graph built with accumulate');
    if (k === 0) throw new Error('Trainer: a step needs a batch');
    let sum = { loss: 0, instanceLoss: 0, priorLoss: 0 };
    let last: StepResult | undefined;
    let finite = true;
    for (const [i, batch] of list.entries()) {
      last = await this.runOnce(batch, lr, this.spec.accumulators.length ? { apply: i === k - 1 ? 1 : 0, scale: 1 / k } : undefined);
      sum = { loss: sum.loss + last.loss, instanceLoss: sum.instanceLoss + last.instanceLoss, priorLoss: sum.priorLoss + last.priorLoss };
      finite &&= last.finite !== false;
    }
    this.stepCount++;
    const scaled = this.scaler && { lossScale: this.scaler.scale, skipped: last!.finite === false };
    if (this.scaler) this.scaler = updateLossScale(this.scaler, !finite, last!.finite === false);
    return { ...last!, ...scaled, loss: sum.loss / k, instanceLoss: sum.instanceLoss / k, priorLoss: sum.priorLoss / k };
  }

  private async runOnce(batch: StepBatch, lr: number, acc?: { apply: number; scale: number }): Promise<StepResult> {
    if (Object.keys(this.current).length === 0) throw new Error('Trainer: setState() before run()');
    const cfg = this.model.checkpoint.unet;
    const b = this.o.instanceBatch + this.o.classBatch;
    const latent = [b, cfg.in_channels, this.o.height, this.o.width];
    const keep = [...this.spec.adam.slots.flatMap((s) => [s.paramOut, s.mOut, s.vOut]), ...this.spec.accumulators.map((a) => a.output)];
    const accInputs: Record<string, HostTensor> = acc ? { [STEP_IO.apply]: f32(Float32Array.of(acc.apply), []), [STEP_IO.accumulateScale]: f32(Float32Array.of(acc.scale), []) } : {};
    const teSteps = this.o.textEncoder?.steps ?? 0;
    if (this.o.textEncoder) accInputs[STEP_IO.textEncoderActive] = f32(Float32Array.of(teSteps === 0 || this.stepCount < teSteps ? 1 : 0), []);
    const out = await this.session.run(
      {
        ...this.current,
        ...this.conditioning(batch, b),
        ...accInputs,
        [STEP_IO.sample]: f32(batch.noisyLatents, latent),
        [STEP_IO.timestep]: f32(Float32Array.from(batch.timesteps), [b]),
        [STEP_IO.target]: f32(batch.target, latent),
        [STEP_IO.lossWeights]: f32(batch.lossWeights ?? new Float32Array(this.o.instanceBatch).fill(1), [this.o.instanceBatch]),
        [this.spec.adam.lr]: f32(Float32Array.of(lr), []),
        // AdamW's t counts the updates made: skipped (overflowed) steps are not among them.
        [this.spec.adam.step]: f32(Float32Array.of(this.updates + 1), []),
        ...(this.scaler ? { [STEP_IO.lossScale]: f32(Float32Array.of(this.scaler.scale), []) } : {}),
      },
      { keepOnDevice: keep },
    );
    await this.releaseCurrent();
    const next: Record<string, DeviceTensor> = {};
    for (const s of this.spec.adam.slots) {
      next[s.param] = out[s.paramOut] as DeviceTensor;
      next[s.m] = out[s.mOut] as DeviceTensor;
      next[s.v] = out[s.vOut] as DeviceTensor;
    }
    for (const a of this.spec.accumulators) next[a.input] = out[a.output] as DeviceTensor;
    this.current = next;
    const host = (name: string) => {
      const t = out[name];
      if (!t || isDeviceTensor(t)) throw new Error(`training step: output "${name}" missing`);
      return t.data as Float32Array;
    };
    const grads = this.spec.grads.size ? new Map([...this.spec.grads].map(([p, o]) => [p, host(o)])) : undefined;
    return {
      loss: host(STEP_IO.loss)[0]!,
      instanceLoss: host(STEP_IO.instanceLoss)[0]!,
      priorLoss: host(STEP_IO.priorLoss)[0]!,
      gradNorm: this.spec.adam.gradNorm ? host(this.spec.adam.gradNorm)[0] : undefined,
      pred: host(STEP_IO.pred),
      grads,
      finite: this.scaler ? host(STEP_IO.gradsFinite)[0] === 1 : true,
    };
  }

  /** The batch's context, or its tokens when the text encoder is trained in the step. */
  private conditioning(batch: StepBatch, b: number): Record<string, HostTensor> {
    if (this.spec.conditioning === 'input_ids') {
      const ids = batch.inputIds;
      if (!ids || ids.length !== b) throw new Error(`training step: the text encoder is trained, so the batch needs the token ids of its ${b} prompts`);
      return { [STEP_IO.inputIds]: { dtype: 'int64', dims: [b, ids[0]!.length], data: BigInt64Array.from(ids.flat(), (v) => BigInt(v)) } };
    }
    if (!batch.context) throw new Error('training step: the batch needs the encoded prompts (context)');
    const d = contextDim(this.model.checkpoint.unet);
    return { [STEP_IO.context]: f32(batch.context, [b, batch.context.length / (b * d), d]) };
  }

  /** Downloads weights and moments (the device copies stay). */
  async state(): Promise<TrainState> {
    const get = async (name: string) => {
      const t = this.current[name]!;
      const h = isDeviceTensor(t) ? await this.model.runtime.download(t) : t;
      return Float32Array.from(h.data as Float32Array);
    };
    const s: TrainState = { weights: new Map(), m: new Map(), v: new Map(), step: this.stepCount, lossScale: this.scaler };
    for (const slot of this.spec.adam.slots) {
      s.weights.set(slot.param, await get(slot.param));
      s.m.set(slot.param, await get(slot.m));
      s.v.set(slot.param, await get(slot.v));
    }
    return s;
  }

  private async releaseCurrent(): Promise<void> {
    const dev = Object.values(this.current).filter(isDeviceTensor);
    this.current = {};
    if (dev.length) await this.model.runtime.release(...dev);
  }

  async close(): Promise<void> {
    await this.releaseCurrent();
    await this.session.release();
  }
}
