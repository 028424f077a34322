// The files of a training run that the sidecar writes and the extension reads (a process boundary on
// disk): the step log's lines, the run lock's content, and the settings a checkpoint was trained with.
// Where they live is language/resolve.ts's runLayout.
import { readFileSync } from 'node:fs';
import type { TrainStepRecord } from './sidecar';

/** The run lock (`OUTPUT/train.lock`): who trains in this folder. */
export interface RunLockInfo {
  pid: number;
  host: string;
  /** ISO time the run took the lock. */
  since: string;
}

/** The settings a run's checkpoint was trained with (`OUTPUT/checkpoints/settings.json`): resuming
 *  with others would continue a different run. Keyed by the concept file's own key names. */
export type RunSettings = Record<string, string | number | boolean | null>;

/**
 * Parses `logs/train.jsonl` as it grows: `push` takes the bytes appended since the last call and
 * returns the records whose lines are complete. A partial last line (a step being written, or torn by
 * a crash) is kept until its newline arrives; a line that is not a record is skipped.
 */
export class TrainLogReader {
  private rest = '';

  push(text: string): TrainStepRecord[] {
    const lines = (this.rest + text).split('\n');
    this.rest = lines.pop()!;
    return lines.flatMap(parseRecord);
  }

  /** The records of a whole file; its last line counts only if it parses (a torn one is dropped). */
  static parse(text: string): TrainStepRecord[] {
    const r = new TrainLogReader();
    return [...r.push(text), ...parseRecord(r.rest)];
  }
}

function parseRecord(line: string): TrainStepRecord[] {
  if (!line.trim()) return [];
  try {
    const r = JSON.parse(line) as TrainStepRecord;
    return r && typeof r.step === 'number' && typeof r.loss === 'number' ? [r] : [];
  } catch {
    return []; // a partial line from a crash
  }
}

/** Whether process `pid` of this machine is running (EPERM: it is, owned by someone else). A zombie —
 *  killed, not yet reaped, as under a container's init that never reaps — counts as gone:
 *  kill(pid, 0) still succeeds on it. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS, Windows): kill(pid, 0) is all there is
  }
}

/** Why the lock `held` (read from `lockPath`) keeps another run out of `folder`; undefined when it is
 *  stale (its process on this machine is gone) and may be taken over. */
export function lockRefusal(held: RunLockInfo | undefined, folder: string, lockPath: string, host: string): string | undefined {
  if (!held) return undefined; // unreadable or torn: stale
  if (held.host !== host) return `${folder} is locked by a training run on ${held.host} (process ${held.pid}); if that run is gone, delete ${lockPath}`;
  if (processAlive(held.pid)) return `another training run is using ${folder} (process ${held.pid}, since ${held.since}); wait for it to finish or cancel it, or give this concept file its own output folder`;
  return undefined;
}
