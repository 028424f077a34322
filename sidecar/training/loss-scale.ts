// Dynamic loss scaling for mixed_precision fp16, as torch.amp.GradScaler with the defaults accelerate
// uses: the loss is multiplied by the scale before the backward pass so small float16 gradients do not
// underflow; a step whose gradients overflowed is skipped (the step graph leaves weights and moments as
// they were) and halves the scale; 2000 finite steps in a row double it.

export interface LossScaleState {
  scale: number;
  /** Finite steps since the scale last changed. */
  growthTracker: number;
  /** Optimizer steps skipped so far: AdamW's bias correction counts only the updates made. */
  skipped: number;
}

export const GRAD_SCALER = { initScale: 2 ** 16, growthFactor: 2, backoffFactor: 0.5, growthInterval: 2000 } as const;

export function initialLossScale(): LossScaleState {
  return { scale: GRAD_SCALER.initScale, growthTracker: 0, skipped: 0 };
}

/** The state after a step: GradScaler.update(). `overflowed`: some gradient of the step was not finite;
 *  `skipped`: so its update was not made (with gradient accumulation an overflow in an earlier
 *  micro-batch only drops that batch's sums). */
export function updateLossScale(s: LossScaleState, overflowed: boolean, skipped = overflowed): LossScaleState {
  if (overflowed) return { scale: s.scale * GRAD_SCALER.backoffFactor, growthTracker: 0, skipped: s.skipped + (skipped ? 1 : 0) };
  const tracker = s.growthTracker + 1;
  if (tracker === GRAD_SCALER.growthInterval) return { ...s, scale: s.scale * GRAD_SCALER.growthFactor, growthTracker: 0 };
  return { ...s, growthTracker: tracker };
}
