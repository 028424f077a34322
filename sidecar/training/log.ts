// The run's training log, logs/train.jsonl: one TrainStepRecord per line, appended and flushed as each
// step ends, so a crash loses nothing already reported. On resume the lines of steps the checkpoint
// does not contain (done after the last save) are dropped first, so the log never shows a step twice.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TrainStepRecord } from '../../protocol/sidecar';
import { TrainLogReader } from '../../protocol/training-run';
import { writeAtomic } from '../weights/atomic-file';

export class TrainLog {
  private constructor(readonly path: string) {}

  /** Opens the log of a run that starts (or resumes) after `fromStep` steps. */
  static async open(path: string, fromStep: number): Promise<TrainLog> {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      const kept = readTrainLog(path).filter((r) => r.step <= fromStep);
      await writeAtomic(path, (tmp) => writeFile(tmp, kept.map((r) => `${JSON.stringify(r)}\n`).join('')));
    }
    return new TrainLog(path);
  }

  append(r: TrainStepRecord): void {
    appendFileSync(this.path, `${JSON.stringify(r)}\n`);
  }
}

/** The records of a log; a torn last line (the process died mid-write) is ignored. */
export function readTrainLog(path: string): TrainStepRecord[] {
  return TrainLogReader.parse(readFileSync(path, 'utf8'));
}

/** Peak resident memory of this process so far (all threads, the ONNX Runtime worker included), MiB. */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
