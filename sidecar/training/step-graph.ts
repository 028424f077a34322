// The DreamBooth training step as one graph, so one session run does forward, backward and the
// optimizer update (train_dreambooth.py's / train_dreambooth_lora.py's inner loop):
//
//   ctx   = text_encoder(input_ids)   when the text encoder is trained, else an input (encoded once)
//   pred  = unet(noisy_latents, timesteps, ctx)     LoRA on the attention projections, or every weight
//   loss  = mean_i(w_i · mean((pred_i − target_i)²)) over the instance half (w: min-SNR weights, or 1)
//         + prior_loss_weight · mean((pred − target)²) over the class half (prior preservation)
//   grads = ∂loss/∂(trained weights)                          (the rest frozen, resident as stored)
//   clip_grad_norm_(grads, max_grad_norm) then AdamW                       (optim/adamw.ts)
//
// Mixed precision (fp16): the networks compute in float16 from float32 inputs, trained weights stay
// float32 masters cast per use, the loss is float32 (autocast's policy); the backward pass starts from
// loss · loss_scale and the gradients are unscaled before clipping. A step whose gradients are not
// finite leaves weights and moments as they were (`grads_finite` 0): torch's GradScaler skipping
// optimizer.step(); the trainer halves the scale then (training/loss-scale.ts).
//
// The batch is [instance items…, class items…]; target is the noise (epsilon) or the velocity
// (v_prediction), computed by the caller. Trained weights and moments are graph inputs whose updated
// values are graph outputs: the trainer feeds each step's outputs back, kept on the device.
import { grad } from '../autodiff/grad';
import * as op from '../graph/ops';
import type { Value } from '../graph/types';
import type { ClipTextConfig, UNetConfig } from '../models/configs';
import { textEncoderForward } from '../models/clip_text_model';
import { buildUNet, UNET_INPUTS } from '../models/unet_2d_condition';
import { type AdamWGraph, type AdamWOptions, adamw } from '../optim/adamw';
import { ATTENTION_TARGETS, TEXT_ENCODER_SCOPE, TEXT_ENCODER_TARGETS, type LoraModuleParams, type LoraSpec } from './lora';
import { type Checkpointing, TrainGraph } from './train-graph';

/** How a network is trained: adapters on its attention projections, or every weight. */
export type TrainMode = 'lora' | 'full';

export interface TrainStepOptions {
  /** Instance items first, then as many class items when prior preservation is on. */
  instanceBatch: number;
  classBatch: number;
  /** Latent height and width. */
  height: number;
  width: number;
  contextLength?: number;
  /** The UNet's training (default lora). */
  unet?: TrainMode;
  /** Rank and alpha of the adapters (when anything is trained with LoRA); `targets` are the UNet's. */
  lora?: LoraSpec;
  /** The text encoder trained in the same step (its tokens are then the step's input instead of the
   *  context): with LoRA on q/k/v/out_proj, or in full. Absent: frozen, the context is an input. */
  textEncoder?: {
    config: ClipTextConfig;
    mode: TrainMode;
    /** Trained for this many optimizer steps, then left as it is (0 or absent: the whole run). */
    steps?: number;
  };
  priorLossWeight: number;
  adam: AdamWOptions;
  /** Blocks recomputed in the backward pass (less memory, more compute); default: checkpointPolicy. */
  checkpointing?: Checkpointing;
  /** Also output each trained parameter's gradient (before clipping) as `grad.<param name>` (conformance, debugging). */
  outputGrads?: boolean;
  /** Gradient accumulation: each run adds its gradient (scaled by the `accumulate_scale` input, 1/k) to
   *  the running sums fed as `<param>.grad_acc`; the update applies when the `apply` input is 1 (the
   *  sums then restart from 0). */
  accumulate?: boolean;
  /** Compute the networks in float16 with loss scaling (`mixed_precision fp16`); absent: float32. */
  mixedPrecision?: 'fp16';
}

export const STEP_IO = {
  ...UNET_INPUTS,
  inputIds: 'input_ids',
  target: 'target',
  lossWeights: 'loss_weights',
  apply: 'apply',
  textEncoderActive: 'text_encoder_active',
  accumulateScale: 'accumulate_scale',
  lossScale: 'loss_scale',
  gradsFinite: 'grads_finite',
  pred: 'noise_pred',
  loss: 'loss',
  instanceLoss: 'loss_instance',
  priorLoss: 'loss_prior',
} as const;

export interface TrainStepGraph {
  graph: TrainGraph;
  /** Every trained parameter, in graph order (the AdamW slots' order). */
  params: Value<'Param'>[];
  /** The LoRA adapters among them (empty when everything is trained in full). */
  modules: LoraModuleParams[];
  adam: AdamWGraph;
  /** Output name of each trained parameter's gradient, when `outputGrads`. */
  grads: Map<string, string>;
  /** Input and output names of each parameter's gradient sum, when accumulating (adam.slots' order). */
  accumulators: { input: string; output: string }[];
  /** What conditions the UNet: the context (frozen text encoder) or the tokens (text encoder trained). */
  conditioning: 'context' | 'input_ids';
}

/** Mean of squares of items [from, to) of d, each item's mean scaled by `weights` when given. */
function meanSquares(d: Value, from: number, to: number, weights?: Value): Value {
  const part = op.Slice(d, [from], [to], [0]);
  const sq = op.Mul(part, part);
  if (!weights) return op.ReduceMean(sq, part.shape.map((_, i) => i), false);
  const perItem = op.ReduceMean(sq, part.shape.slice(1).map((_, i) => i + 1), false);
  return op.ReduceMean(op.Mul(perItem, weights), [0], false);
}

/** The adapters' spec for the step: the UNet's targets and/or the text encoder's. */
function loraFor(o: TrainStepOptions): LoraSpec | undefined {
  const targets = [...((o.unet ?? 'lora') === 'lora' ? (o.lora?.targets ?? ATTENTION_TARGETS) : []), ...(o.textEncoder?.mode === 'lora' ? TEXT_ENCODER_TARGETS : [])];
  if (!targets.length) return undefined;
  if (!o.lora) throw new Error('training step: LoRA training needs a rank and alpha');
  return { ...o.lora, targets };
}

export function buildTrainStep(cfg: UNetConfig, o: TrainStepOptions): TrainStepGraph {
  const batch = o.instanceBatch + o.classBatch;
  const te = `${TEXT_ENCODER_SCOPE}.`;
  const fullUnet = (o.unet ?? 'lora') === 'full';
  const fullTe = o.textEncoder?.mode === 'full';
  const dtype = o.mixedPrecision ? 'float16' : 'float32';
  const graph = new TrainGraph({
    lora: loraFor(o),
    full: fullUnet || fullTe ? (name) => (name.startsWith(te) ? fullTe : fullUnet) : undefined,
    checkpointing: o.checkpointing ?? checkpointPolicy(o.height, o.width),
  });
  let context: Value | undefined;
  if (o.textEncoder) {
    const tc = o.textEncoder.config;
    const ids = graph.input(STEP_IO.inputIds, 'int64', [batch, o.contextLength ?? tc.max_position_embeddings]);
    context = graph.scope(TEXT_ENCODER_SCOPE, () => textEncoderForward(graph, tc, ids, { dtype }).last);
  }
  buildUNet(cfg, { batch, height: o.height, width: o.width, contextLength: o.contextLength, dtype, io: 'float32', graph, context });
  const params = graph.finish();
  const pred = graph.outputs.find((x) => x.name === STEP_IO.pred)!.value;
  const target = graph.input(STEP_IO.target, 'float32', pred.shape);
  const weights = graph.input(STEP_IO.lossWeights, 'float32', [o.instanceBatch]);
  const { loss, instance, prior } = graph.scope('loss', () => {
    const d = op.Sub(pred, target);
    const instance = meanSquares(d, 0, o.instanceBatch, weights);
    if (o.classBatch === 0) return { loss: instance, instance, prior: graph.scalar(0, 'float32') };
    const prior = meanSquares(d, o.instanceBatch, batch);
    return { loss: op.Add(instance, op.Mul(prior, o.priorLossWeight)), instance, prior };
  });
  graph.output(loss, STEP_IO.loss);
  graph.output(instance, STEP_IO.instanceLoss);
  graph.output(prior, STEP_IO.priorLoss);
  const lossScale = o.mixedPrecision ? graph.input(STEP_IO.lossScale, 'float32', []) : undefined;
  const raw = lossScale ? grad(op.Mul(loss, lossScale), params).map((g) => op.Div(g, lossScale)) : grad(loss, params);
  const grads = new Map<string, string>();
  if (o.outputGrads) params.forEach((p, i) => (graph.output(raw[i]!, `grad.${p.name}`), grads.set(p.name, `grad.${p.name}`)));
  // train_text_encoder_steps: once the `text_encoder_active` input is 0 the text encoder's gradients
  // leave the clipping norm and its state stops changing (kohya's stop_text_encoder_training).
  const active = o.textEncoder ? graph.input(STEP_IO.textEncoderActive, 'float32', []) : undefined;
  const isTe = params.map((p) => p.name.startsWith(te));
  const gs = raw.map((g, i) => (active && isTe[i] ? op.Mul(g, active) : g));
  const acc = o.accumulate ? accumulate(graph, params, gs) : undefined;
  const gates = params.map((_, i) => {
    const on = active && isTe[i] ? active : undefined;
    return acc && on ? op.Mul(acc.apply, on) : (acc?.apply ?? on);
  });
  const adam = adamw(graph, params, acc?.totals ?? gs, { ...o.adam, gates, skipNonFinite: !!lossScale });
  const finite = adam.finite;
  if (finite) graph.output(op.Cast(finite, 'float32'), STEP_IO.gradsFinite); // for the trainer's loss scale
  if (acc) {
    // Sums that overflowed restart from 0 instead of carrying inf/NaN into the next runs.
    const zero = graph.scalar(0, 'float32');
    acc.carried.forEach((c, i) => graph.output(finite ? op.Where(finite, c, zero) : c, acc.slots[i]!.output));
  }
  return { graph, params, modules: graph.modules, adam, grads, accumulators: acc?.slots ?? [], conditioning: o.textEncoder ? 'input_ids' : 'context' };
}

/** Running gradient sums: total = sum + scale·g goes to the optimizer; the sum carried to the next run
 *  (`carried`, output by the caller) is total, or 0 once applied (accelerate's accumulation: loss / k per micro-batch, gradients summed). */
function accumulate(graph: TrainGraph, params: readonly Value[], gs: readonly Value[]) {
  const apply = graph.input(STEP_IO.apply, 'float32', []);
  const scale = graph.input(STEP_IO.accumulateScale, 'float32', []);
  return graph.scope('grad_acc', () => {
    const keep = op.Sub(1, apply);
    const slots: { input: string; output: string }[] = [];
    const carried: Value[] = [];
    const totals = params.map((p, i) => {
      const sum = graph.input(`${p.name}.grad_acc`, 'float32', p.shape);
      const total = op.Add(sum, op.Mul(gs[i]!, scale));
      carried.push(op.Mul(total, keep));
      slots.push({ input: sum.name, output: `${sum.name}.updated` });
      return total;
    });
    return { apply, totals, slots, carried };
  });
}

/** Recompute every ResNet and transformer block from 32×32 latents (256 px) up, where activations
 *  dominate memory: at SD 1.5 and 512² it halves the step's memory (4.8 instead of 5.9 GiB with the
 *  weights, bench/RESULTS.md) for about 10% more time; below that recomputation costs more than the
 *  memory is worth. */
export function checkpointPolicy(height: number, width: number): Checkpointing {
  return height * width >= 32 * 32 ? 'blocks' : 'none';
}
