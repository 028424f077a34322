// The notification bar's arithmetic. No `vscode` import: unit-tested.
import type { JobProgressParams } from '../protocol/sidecar';

/**
 * VS Code's notification bar only moves forward (it adds increments), so each phase of a job gets a
 * bar of its own: `update` says whether `p` starts a new phase (the caller opens a fresh bar) and how
 * much to add so the bar shows `step/total` of that phase. A phase without a count (total ≤ 1, e.g.
 * "loading model 0/1") adds nothing until it is done, so its bar stays indeterminate.
 */
export class PhaseBar {
  private phase: string | undefined;
  private shown = 0;

  update(p: Pick<JobProgressParams, 'phase' | 'step' | 'total'>): { newPhase: boolean; increment: number } {
    const newPhase = p.phase !== this.phase;
    if (newPhase) {
      this.phase = p.phase;
      this.shown = 0;
    }
    const fraction = p.total > 0 ? Math.min(1, Math.max(0, p.step / p.total)) : 0;
    const increment = Math.max(0, fraction * 100 - this.shown);
    this.shown += increment;
    return { newPhase, increment };
  }
}
