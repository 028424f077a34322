// Before a training session is built: estimate the step's peak memory and choose how much to recompute,
// or refuse with what would fit. The estimate is the process as it is now (base), plus the frozen
// weights resident once as stored, plus the step graph's activation peak from a liveness walk of the
// graph itself (graph/liveness.ts) scaled by what ONNX Runtime was measured to need beyond it
// (bench/RESULTS.md: SD 1.5 at 512², CPU).
import type { UNetConfig } from '../models/configs';
import { liveness } from '../graph/liveness';
import { formatGiB, type MemoryBudget } from '../runtime/memory';
import type { Checkpointing } from './lora';
import { buildTrainStep, checkpointPolicy, type TrainStepOptions } from './step-graph';

/** ORT's peak over the liveness walk's (its own execution order, fused kernels' workspaces, per-use
 *  weight upcasts of the backward pass) and a fixed allowance for allocator slack: measured. */
export const ACTIVATION_FACTOR = 1.8;
export const FIXED_OVERHEAD = 256 * 2 ** 20;

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
  return baseBytes + weightBytes + ACTIVATION_FACTOR * peakBytes + FIXED_OVERHEAD;
}

/**
 * The default checkpointing if it fits the budget, else full-block recomputation if that fits, else a
 * TrainMemoryError naming the estimate, the budget and the largest resolution that would fit.
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
