// The numbers the dashboard draws that are not in the log as such. No DOM: unit-tested.
import type { TrainStepRecord } from '../../protocol/sidecar';

/**
 * TensorBoard's smoothing: an exponential moving average with bias correction, so the first points
 * are not pulled towards 0. `weight` 0 is the raw series; non-finite values stay out of the average
 * (and are NaN in the result).
 */
export function smooth(values: readonly number[], weight: number): number[] {
  let avg = 0;
  let n = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return Number.NaN;
    avg = avg * weight + (1 - weight) * v;
    n++;
    return weight === 0 ? v : avg / (1 - weight ** n);
  });
}

/** Seconds left at the recent pace: the mean step time of the last `window` steps times the steps to
 *  go; undefined before the first step, 0 once the run has reached `totalSteps`. */
export function estimateEta(records: readonly TrainStepRecord[], totalSteps: number, window = 20): number | undefined {
  const last = records[records.length - 1];
  if (!last) return undefined;
  const left = totalSteps - last.step;
  if (left <= 0) return 0;
  const recent = records.slice(-window);
  return (recent.reduce((s, r) => s + r.stepSeconds, 0) / recent.length) * left;
}

/** "1.2 GiB" / "850 MiB". */
export function formatMiB(mib: number): string {
  return mib >= 1024 ? `${(mib / 1024).toFixed(1)} GiB` : `${Math.round(mib)} MiB`;
}
