// How job progress reads in notifications and the status bar. No `vscode` import: unit-tested.
import type { JobProgressParams } from '../protocol/sidecar';

export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** One line for a progress notification, e.g. "denoising 12/30 · ETA 1m 4s · loss 0.08310". */
export function describeProgress(p: Omit<JobProgressParams, 'jobId'>): string {
  const parts = [`${p.phase} ${p.step}/${p.total}`];
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds)) parts.push(`ETA ${formatEta(p.etaSeconds)}`);
  if (p.loss !== undefined && Number.isFinite(p.loss)) parts.push(`loss ${p.loss.toPrecision(4)}`);
  if (p.message) parts.push(p.message);
  return parts.join(' · ');
}

/**
 * The notification bar only moves forward (VS Code adds increments): how much to add so that it
 * shows `step/total` of this phase, given how much it shows already (0..100).
 */
export function progressIncrement(p: Pick<JobProgressParams, 'step' | 'total'>, shown: number): number {
  const fraction = p.total > 0 ? Math.min(1, Math.max(0, p.step / p.total)) : 0;
  return Math.max(0, fraction * 100 - shown);
}
