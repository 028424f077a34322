// Reading a training run's folder as it grows, for the dashboard: the step log from where the last
// read stopped (a partial last line waits for its newline; a replaced or trimmed log starts over) and
// the sample images by step. No `vscode` import: unit-tested on real files.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { TrainStepRecord } from '../protocol/sidecar';
import { TrainLogReader } from '../protocol/training-run';
import { sampleFolderStep } from '../language/resolve';

export interface LogUpdate {
  reset: boolean;
  records: TrainStepRecord[];
}

export class LogTail {
  private offset = 0;
  private ino = -1;
  private reader = new TrainLogReader();
  private decoder = new StringDecoder('utf8');

  constructor(readonly path: string) {}

  /** New records since the last call; `reset` when the log was replaced or shortened (then `records`
   *  is the whole log), or is gone (then it is empty). */
  async read(): Promise<LogUpdate> {
    const st = await stat(this.path).catch(() => undefined);
    if (!st) {
      const had = this.offset > 0;
      this.restart(-1);
      return had ? { reset: true, records: [] } : { reset: false, records: [] };
    }
    const replaced = st.ino !== this.ino && this.ino !== -1;
    const reset = replaced || st.size < this.offset;
    if (reset || this.ino === -1) this.restart(st.ino);
    if (st.size === this.offset) return { reset, records: [] };
    const fh = await open(this.path, 'r');
    try {
      const buf = Buffer.alloc(st.size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      return { reset, records: this.reader.push(this.decoder.write(buf.subarray(0, bytesRead))) };
    } finally {
      await fh.close();
    }
  }

  private restart(ino: number): void {
    this.ino = ino;
    this.offset = 0;
    this.reader = new TrainLogReader();
    this.decoder = new StringDecoder('utf8');
  }
}

export interface SampleFiles {
  /** null: an image straight in samples/ (runs from before the per-step folders). */
  step: number | null;
  files: string[];
}

const isPng = (n: string) => n.toLowerCase().endsWith('.png');

/** The sample images under `samples`, by step (ascending; loose older ones first), names sorted. */
export async function listSamples(samples: string): Promise<SampleFiles[]> {
  const entries = await readdir(samples, { withFileTypes: true }).catch(() => []);
  const loose = entries.filter((e) => e.isFile() && isPng(e.name)).map((e) => join(samples, e.name)).sort();
  const steps = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && sampleFolderStep(e.name) !== undefined)
      .map(async (e) => ({
        step: sampleFolderStep(e.name)!,
        files: (await readdir(join(samples, e.name)).catch(() => [] as string[])).filter(isPng).sort().map((n) => join(samples, e.name, n)),
      })),
  );
  const out: SampleFiles[] = loose.length ? [{ step: null, files: loose }] : [];
  return [...out, ...steps.filter((s) => s.files.length).sort((a, b) => a.step - b.step)];
}
