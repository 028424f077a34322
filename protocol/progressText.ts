// How a job's progress reads, in the editor's notifications and on the command line alike.
import type { JobProgressParams } from './sidecar';

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
  const t = p.train;
  if (t) {
    if (t.priorLoss) parts.push(`instance ${t.instanceLoss.toPrecision(4)} · prior ${t.priorLoss.toPrecision(4)}`);
    parts.push(`lr ${t.lr.toExponential(2)}`);
    if (t.gradNorm !== null) parts.push(`grad norm ${t.gradNorm.toPrecision(3)}`);
    if (t.skipped) parts.push(`skipped: float16 overflow at loss scale ${t.lossScale}`);
    parts.push(`${t.stepSeconds.toFixed(1)} s/step`, `peak ${(t.peakRssMiB / 1024).toFixed(1)} GiB`);
  }
  if (p.message) parts.push(p.message);
  return parts.join(' · ');
}
