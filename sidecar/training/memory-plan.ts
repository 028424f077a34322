// Before a training session is built: estimate the step's peak memory and choose how much to recompute,
// or refuse with what would fit. The estimate is the process as it is now (base), plus the frozen
// weights resident once as stored, plus what ONNX Runtime needs while it runs the step: the graph's
// activation peak from a liveness walk of the graph itself (graph/liveness.ts) and transient memory
// beyond it (kernel workspaces, allocator slack), fitted to measurements (bench/RESULTS.md). ORT's own
// plan, read back from its profiler, peaks within 25% of the liveness walk; the rest of the measured
// peak is allocated inside ORT's kernels.
import type { UNetConfig } from '../models/configs';
import { liveness, valueBytes } from '../graph/liveness';
import { formatGiB, type MemoryBudget } from '../runtime/memory';
import type { Checkpointing } from './train-graph';
import { buildTrainStep, checkpointPolicy, type TrainStepGraph, type TrainStepOptions } from './step-graph';

/** Fitted to the measured peaks (SD 1.5, CPU; 32², 48², 64² latents with blocks recomputed, 64² with
 *  ResNets only): ORT's transient memory ≈ 0.17 × weight bytes + factor × liveness peak, the factor
 *  larger when transformer blocks are recomputed (their recomputed forward and backward overlap, and
 *  ORT's planner holds buffers freed in one layer for a later one of the same shapes). The fit is within
 *  5% and errs high. (blocks re-fitted when the CPU step began to load without ORT's optimisers, which
 *  had fused some of its temporaries away: 2854, 3416 and 4162 MiB measured at 32², 48², 64², estimated
 *  2957, 3445 and 4392 with a 150 MiB base; no recomputation at 24²: 2754 measured, 2838 estimated.) */
export const WEIGHT_FACTOR = 0.17;
export const ACTIVATION_FACTOR: Record<Checkpointing, number> = { none: 1.7, resnets: 1.7, blocks: 2.05 };
export const FIXED_OVERHEAD = 64 * 2 ** 20;

export interface TrainMemoryPlan {
  checkpointing: Checkpointing;
  estimateBytes: number;
  budget: MemoryBudget;
  /** Estimates of the modes tried, for the log. */
  tried: { checkpointing: Checkpointing; bytes: number }[];
  /** The step graph the estimate was made on (the chosen mode): built once, opened as it is. */
  step: TrainStepGraph;
}

export class TrainMemoryError extends Error {
  override name = 'TrainMemoryError';
}

export type StepShape = Omit<TrainStepOptions, 'checkpointing' | 'outputGrads'>;

/** `weightBytes`: the frozen weights of the step as stored (what is trained in full is not among them). */
export function estimateTrainStep(cfg: UNetConfig, o: StepShape, checkpointing: Checkpointing, weightBytes: number, baseBytes: number): number {
  return estimateOn(buildTrainStep(cfg, { ...o, checkpointing }), o, checkpointing, weightBytes, baseBytes);
}

function estimateOn(step: TrainStepGraph, o: StepShape, checkpointing: Checkpointing, weightBytes: number, baseBytes: number): number {
  const { graph, params } = step;
  const { peakBytes } = liveness(graph.values, graph.outputs.map((x) => x.value), 0);
  // Trained weights, their two moments (and gradient sums) are fed once and stay: not part of ORT's transient need.
  const fed = (o.accumulate ? 4 : 3) * params.reduce((n, p) => n + valueBytes(p), 0);
  return baseBytes + (1 + WEIGHT_FACTOR) * weightBytes + fed + ACTIVATION_FACTOR[checkpointing] * Math.max(0, peakBytes - fed) + FIXED_OVERHEAD;
}

/**
 * The default checkpointing (checkpointPolicy) if it fits the budget, else full-block recomputation if
 * that fits, else a TrainMemoryError naming the estimate, the budget and the largest resolution that would fit.
 */
export function planTrainMemory(cfg: UNetConfig, o: StepShape, weightBytes: number, budget: MemoryBudget, baseBytes = process.memoryUsage().rss): TrainMemoryPlan {
  const modes: Checkpointing[] = [...new Set<Checkpointing>([checkpointPolicy(o.height, o.width), 'blocks'])];
  const tried: TrainMemoryPlan['tried'] = [];
  for (const checkpointing of modes) {
    const step = buildTrainStep(cfg, { ...o, checkpointing });
    const bytes = estimateOn(step, o, checkpointing, weightBytes, baseBytes);
    tried.push({ checkpointing, bytes });
    if (bytes <= budget.bytes) return { checkpointing, estimateBytes: bytes, budget, tried, step };
  }
  throw new TrainMemoryError(refusal(cfg, o, tried.at(-1)!.bytes, weightBytes, budget, baseBytes));
}

/** The refusal: what the job needs, what is there, and what would fit (each option estimated). */
function refusal(cfg: UNetConfig, o: StepShape, needs: number, weightBytes: number, budget: MemoryBudget, baseBytes: number): string {
  const px = 8; // image pixels per latent pixel (SD 1.x)
  const fits = (shape: StepShape) => {
    const bytes = estimateTrainStep(cfg, shape, 'blocks', weightBytes, baseBytes);
    return bytes <= budget.bytes ? bytes : undefined;
  };
  const options: string[] = [];
  for (let side = o.height - 8; side >= 16; side -= 8) {
    const bytes = fits({ ...o, height: side, width: side });
    if (bytes !== undefined) {
      options.push(`resolution ${side * px} (about ${formatGiB(bytes)})`);
      break;
    }
  }
  if (o.classBatch > 0) {
    const bytes = fits({ ...o, classBatch: 0 });
    if (bytes !== undefined) options.push(`prior preservation off, num_class_images 0 (about ${formatGiB(bytes)})`);
  }
  if (o.unet === 'full' || o.textEncoder?.mode === 'full') options.push('method lora, which trains small adapters instead of every weight and its two AdamW moments');
  options.push('closing other programs');
  if (budget.source.startsWith('DREAMBOOTH_MEMORY_LIMIT')) options.push('a higher DREAMBOOTH_MEMORY_LIMIT');
  const images = o.instanceBatch + o.classBatch;
  return (
    `training at ${o.width * px}×${o.height * px} with ${images} image${images === 1 ? '' : 's'} per step needs about ${formatGiB(needs)}, ` +
    `but ${formatGiB(budget.bytes)} is available (${budget.source}); the model's weights alone take ${formatGiB(weightBytes)}. ` +
    `What would fit: ${options.join('; ')}.`
  );
}
