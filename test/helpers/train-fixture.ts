// The training step the reference steps were made on (fixtures/train-steps, made by fixtures/make/):
// the tiny pipeline's LoRA-train batch (fixtures/tiny-sd/cases/lora_train), one instance and one class
// item, with AdamW as the reference script configured it. Shared by the tests that run the trainer
// against those references.
import type { TrainStepOptions } from '../../sidecar/training/step-graph';

/** AdamW's settings as the reference JSON records them. */
export interface RefOptimizer {
  lr: number;
  betas: [number, number];
  eps: number;
  weight_decay: number;
}

type FixtureStep = Pick<TrainStepOptions, 'instanceBatch' | 'classBatch' | 'height' | 'width' | 'priorLossWeight' | 'adam'>;

/** The step's batch at the noisy latents' size ([2, C, H, W]), prior-loss weight and AdamW (clipping at `maxGradNorm`). */
export function fixtureStep(noisyShape: readonly number[], ref: { prior_loss_weight: number; optimizer: RefOptimizer }, maxGradNorm: number | undefined): FixtureStep {
  const [, , height, width] = noisyShape as [number, number, number, number];
  const { betas, eps, weight_decay } = ref.optimizer;
  return { instanceBatch: 1, classBatch: 1, height, width, priorLossWeight: ref.prior_loss_weight, adam: { beta1: betas[0], beta2: betas[1], eps, weightDecay: weight_decay, maxGradNorm } };
}
