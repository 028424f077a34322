// The DreamBooth LoRA training step as one graph, so one session run does forward, backward and
// the optimizer update (train_dreambooth_lora.py's inner loop):
//
//   pred  = unet(noisy_latents, timesteps, encoder_hidden_states)       LoRA on the attention projections
//   loss  = mean((pred − target)²) over the instance half
//         + prior_loss_weight · mean((pred − target)²) over the class half (prior preservation)
//   grads = ∂loss/∂(lora weights)                                        (base weights frozen)
//   clip_grad_norm_(grads, max_grad_norm) then AdamW                       (optim/adamw.ts)
//
// The batch is [instance items…, class items…]; target is the noise (epsilon) or the velocity
// (v_prediction), computed by the caller. Adapter weights and moments are graph inputs whose updated
// values are graph outputs: the trainer feeds each step's outputs back, kept on the device.
import { grad } from '../autodiff/grad';
import type { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import type { Value } from '../graph/types';
import type { UNetConfig } from '../models/configs';
import { buildUNet, UNET_INPUTS } from '../models/unet_2d_condition';
import { type AdamWGraph, type AdamWOptions, adamw } from '../optim/adamw';
import { type Checkpointing, LoraGraph, type LoraModuleParams, type LoraSpec } from './lora';

export interface TrainStepOptions {
  /** Instance items first, then as many class items when prior preservation is on. */
  instanceBatch: number;
  classBatch: number;
  /** Latent height and width. */
  height: number;
  width: number;
  contextLength?: number;
  lora: LoraSpec;
  priorLossWeight: number;
  adam: AdamWOptions;
  /** Blocks recomputed in the backward pass (less memory, more compute); default: checkpointPolicy. */
  checkpointing?: Checkpointing;
  /** Also output each adapter's gradient (before clipping) as `grad.<param name>` (conformance, debugging). */
  outputGrads?: boolean;
}

export const STEP_IO = {
  ...UNET_INPUTS,
  target: 'target',
  pred: 'noise_pred',
  loss: 'loss',
  instanceLoss: 'loss_instance',
  priorLoss: 'loss_prior',
} as const;

export interface TrainStepGraph {
  graph: Graph;
  modules: LoraModuleParams[];
  adam: AdamWGraph;
  /** Output name of each adapter parameter's gradient, when `outputGrads`. */
  grads: Map<string, string>;
}

function meanSquares(d: Value, from: number, to: number): Value {
  const part = op.Slice(d, [from], [to], [0]);
  return op.ReduceMean(op.Mul(part, part), part.shape.map((_, i) => i), false);
}

export function buildTrainStep(cfg: UNetConfig, o: TrainStepOptions): TrainStepGraph {
  const batch = o.instanceBatch + o.classBatch;
  const graph = new LoraGraph(o.lora, { checkpointing: o.checkpointing ?? checkpointPolicy(o.height, o.width) });
  buildUNet(cfg, { batch, height: o.height, width: o.width, contextLength: o.contextLength, dtype: 'float32', graph });
  const modules = graph.finish();
  const pred = graph.outputs.find((x) => x.name === STEP_IO.pred)!.value;
  const target = graph.input(STEP_IO.target, 'float32', pred.shape);
  const { loss, instance, prior } = graph.scope('loss', () => {
    const d = op.Sub(pred, target);
    const instance = meanSquares(d, 0, o.instanceBatch);
    if (o.classBatch === 0) return { loss: instance, instance, prior: graph.scalar(0, 'float32') };
    const prior = meanSquares(d, o.instanceBatch, batch);
    return { loss: op.Add(instance, op.Mul(prior, o.priorLossWeight)), instance, prior };
  });
  graph.output(loss, STEP_IO.loss);
  graph.output(instance, STEP_IO.instanceLoss);
  graph.output(prior, STEP_IO.priorLoss);
  const params = modules.flatMap((m) => [m.down, m.up]);
  const gs = grad(loss, params);
  const grads = new Map<string, string>();
  if (o.outputGrads) params.forEach((p, i) => (graph.output(gs[i]!, `grad.${p.name}`), grads.set(p.name, `grad.${p.name}`)));
  const adam = adamw(graph, params, gs, o.adam);
  return { graph, modules, adam, grads };
}

/** Recompute every ResNet and transformer block from 32×32 latents (256 px) up, where activations
 *  dominate memory: at SD 1.5 and 512² it halves the step's memory (4.8 instead of 5.9 GiB with the
 *  weights, bench/RESULTS.md) for about 10% more time; below that recomputation costs more than the
 *  memory is worth. */
export function checkpointPolicy(height: number, width: number): Checkpointing {
  return height * width >= 32 * 32 ? 'blocks' : 'none';
}
