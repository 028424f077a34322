// The notification bar's arithmetic. No `vscode` import: unit-tested.
import type { JobProgressParams } from '../protocol/sidecar';

/**
 * Each counted phase of a job shows its own `step/total` on the notification's bar. VS Code's bar only
 * moves forward (it adds increments), so when a phase would have to show less than the bar does (a new
 * phase starting over, e.g. "training 1/600" after "encoding images 6/6"), `update` says `fresh`: the
 * caller replaces the notification with a new one. A phase without a count (total ≤ 1, e.g. "loading
 * model 0/1") only changes the message: fewer notifications, and VS Code drops any toast beyond three
 * in 800 ms (its spam protection), which would swallow the job's outcome.
 */
export class PhaseBar {
  private phase: string | undefined;
  private shown = 0;

  update(p: Pick<JobProgressParams, 'phase' | 'step' | 'total'>): { fresh: boolean; increment: number } {
    if (p.total <= 1) return { fresh: false, increment: 0 };
    const percent = Math.min(1, Math.max(0, p.step / p.total)) * 100;
    const fresh = p.phase !== this.phase && percent < this.shown;
    this.phase = p.phase;
    if (fresh) this.shown = 0;
    const increment = Math.max(0, percent - this.shown);
    this.shown += increment;
    return { fresh, increment };
  }
}
