// The notification bar's arithmetic. No `vscode` import: unit-tested.
import type { JobProgressParams } from '../protocol/sidecar';

/**
 * The notification bar only moves forward (VS Code adds increments): how much to add so that it
 * shows `step/total` of this phase, given how much it shows already (0..100).
 */
export function progressIncrement(p: Pick<JobProgressParams, 'step' | 'total'>, shown: number): number {
  const fraction = p.total > 0 ? Math.min(1, Math.max(0, p.step / p.total)) : 0;
  return Math.max(0, fraction * 100 - shown);
}
