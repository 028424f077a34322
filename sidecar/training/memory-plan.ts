// Before a training session is built: estimate the step's peak memory and choose how much to recompute,
// or refuse with what would fit. The estimate is the process as it is now (base), plus the frozen
// weights resident once as stored, plus what ONNX Runtime needs while it runs the step: the graph's
// activation peak from a liveness walk of the graph itself (graph/liveness.ts) and transient memory
// that scales with the network (per-use float32 upcasts, kernel workspaces), fitted to measurements
// (SD 1.5 at 512² on CPU, both recompute modes: bench/RESULTS.md). ORT's own plan, read back from its
// profiler, peaks within 25% of the liveness walk; the rest of the measured peak is inside ORT.
import type { UNetConfig } from '../models/configs';
import { liveness } from '../graph/liveness';
import { formatGiB, type MemoryBudget } from '../runtime/memory';
import type { Checkpointing } from './lora';
import { buildTrainStep, checkpointPolicy, type TrainStepOptions } from './step-graph';

/** Fitted: transient ≈ 1.5 × weight bytes + 0.65 × liveness peak (+ a small fixed allowance); it
 *  over-estimates the two measured points by 2–5%. */
export const WEIGHT_FACTOR = 1.5;
export const ACTIVATION_FACTOR = 0.65;
export const FIXED_OVERHEAD = 64 * 2 ** 20;

export interface TrainMemoryPlan {
  checkpointing: Checkpointing;
  estimateBytes: number;
  budget: MemoryBudget;
  /** Estimates of the modes tried, for the log. */
  tried: { checkpointing: Checkpointing; bytes: number }[];
}

export class TrainMemoryError extends Error {
  override name = 'TrainMemoryError';
}

export type StepShape = Omit<TrainStepOptions, 'checkpointing' | 'outputGrads'>;

export function estimateTrainStep(cfg: UNetConfig, o: StepShape, checkpointing: Checkpointing, weightBytes: number, baseBytes: number): number {
  const { graph } = buildTrainStep(cfg, { ...o, checkpointing });
  const { peakBytes } = liveness(graph.values, graph.outputs.map((x) => x.value), 0);
  return baseBytes + (1 + WEIGHT_FACTOR) * weightBytes + ACTIVATION_FACTOR * peakBytes + FIXED_OVERHEAD;
}

/**
 * The default checkpointing (checkpointPolicy) if it fits the budget, else full-block recomputation if
 * that fits, else a TrainMemoryError naming the estimate, the budget and the largest resolution that would fit.
 */
export function planTrainMemory(cfg: UNetConfig, o: StepShape, weightBytes: number, budget: MemoryBudget, baseBytes = process.memoryUsage().rss): TrainMemoryPlan {
  const modes: Checkpointing[] = [...new Set<Checkpointing>([checkpointPolicy(o.height, o.width), 'blocks'])];
  const tried: TrainMemoryPlan['tried'] = [];
  for (const checkpointing of modes) {
    const bytes = estimateTrainStep(cfg, o, checkpointing, weightBytes, baseBytes);
    tried.push({ checkpointing, bytes });
    if (bytes <= budget.bytes) return { checkpointing, estimateBytes: bytes, budget, tried };
  }
  const scale = 8; // latent pixels per image pixel, for the message
  const fits = [];
  for (let side = o.height - 8; side >= 16 && fits.length === 0; side -= 8) {
    const bytes = estimateTrainStep(cfg, { ...o, height: side, width: side }, 'blocks', weightBytes, baseBytes);
    if (bytes <= budget.bytes) fits.push(`resolution ${side * scale} (about ${formatGiB(bytes)})`);
  }
  const batch = o.instanceBatch + o.classBatch;
  throw new TrainMemoryError(
    `training at ${o.width * scale}×${o.height * scale} with ${batch} image(s) per step needs about ${formatGiB(tried.at(-1)!.bytes)}, ` +
      `but ${formatGiB(budget.bytes)} is available (${budget.source}). ` +
      (fits.length ? `What would fit: ${fits.join(', ')}` : 'No smaller resolution fits either') +
      `${o.classBatch ? ', or prior preservation off (num_class_images 0), which halves the batch' : ''}; or close other programs` +
      (budget.source.startsWith('DREAMBOOTH_MEMORY_LIMIT') ? ' or raise DREAMBOOTH_MEMORY_LIMIT.' : '.'),
  );
}
