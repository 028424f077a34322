// The run's training log, logs/train.jsonl: one TrainStepRecord per line, appended and flushed as each
// step ends, so a crash loses nothing already reported. On resume the lines of steps the checkpoint
// does not contain (done after the last save) are dropped first, so the log never shows a step twice.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TrainStepRecord } from '../../protocol/sidecar';

export class TrainLog {
  private constructor(readonly path: string) {}

  /** Opens the log of a run that starts (or resumes) after `fromStep` steps. */
  static open(path: string, fromStep: number): TrainLog {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      const kept = readTrainLog(path).filter((r) => r.step <= fromStep);
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
      renameSync(tmp, path);
    }
    return new TrainLog(path);
  }

  append(r: TrainStepRecord): void {
    appendFileSync(this.path, `${JSON.stringify(r)}\n`);
  }
}

/** The records of a log; a torn last line (the process died mid-write) is ignored. */
export function readTrainLog(path: string): TrainStepRecord[] {
  const out: TrainStepRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as TrainStepRecord;
      if (typeof r.step === 'number') out.push(r);
    } catch {
      /* a partial line from a crash */
    }
  }
  return out;
}

/** Peak resident memory of this process so far (all threads, the ONNX Runtime worker included), MiB. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
