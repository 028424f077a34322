// Learning-rate schedules as diffusers defines them (diffusers.optimization.get_scheduler, as
// train_dreambooth_lora.py builds it: num_cycles 1 for cosine_with_restarts, cosine's own half cycle,
// power 1 and lr_end 1e-7 for polynomial). `lrAt(step)` is the rate optimizer step `step` (0-based)
// uses, i.e. torch's LambdaLR after `step` calls of scheduler.step(). A graph input, so no rebuild.
import type { LrSchedulerName } from '../../protocol/vocabulary';

export interface LrSchedule {
  scheduler: LrSchedulerName;
  /** The peak rate (learning_rate). */
  lr: number;
  warmup: number;
  /** The run's total optimizer steps. */
  steps: number;
}

const LR_END = 1e-7;

/** The multiplier of the base rate at `step` (diffusers' lr_lambda). */
function factor(s: LrSchedule, step: number): number {
  const warm = (): number => step / Math.max(1, s.warmup);
  const progress = (): number => (step - s.warmup) / Math.max(1, s.steps - s.warmup);
  switch (s.scheduler) {
    case 'constant':
      return 1;
    case 'constant_with_warmup':
      return step < s.warmup ? warm() : 1;
    case 'linear':
      return step < s.warmup ? warm() : Math.max(0, (s.steps - step) / Math.max(1, s.steps - s.warmup));
    case 'cosine':
      return step < s.warmup ? warm() : Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress())));
    case 'cosine_with_restarts': {
      if (step < s.warmup) return warm();
      const p = progress();
      return p >= 1 ? 0 : Math.max(0, 0.5 * (1 + Math.cos(Math.PI * ((1 * p) % 1))));
    }
    case 'polynomial': {
      if (step < s.warmup) return warm();
      if (step > s.steps) return LR_END / s.lr;
      const remaining = 1 - (step - s.warmup) / (s.steps - s.warmup);
      return ((s.lr - LR_END) * remaining ** 1 + LR_END) / s.lr;
    }
  }
}

export function lrAt(s: LrSchedule, step: number): number {
  return s.lr * factor(s, step);
}
