// Job tests run on a fresh copy of examples/zwx: the bundled tiny model by absolute path, 2 class
// images, and a broken photo the job must report and skip. Plus a JobContext that records everything.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JobContext, Progress } from '../../sidecar/context/job-context';

export async function copyExample(root: string, name: string, o: { saveEvery?: number } = {}): Promise<{ file: string; dir: string }> {
  const dir = join(root, name);
  await cp('examples/zwx', dir, { recursive: true, filter: (src) => !src.includes('/runs') });
  const file = join(dir, 'zwx.dreambooth');
  let text = (await readFile(file, 'utf8')).replace(/^model .*$/m, `model "${resolve('fixtures/tiny-sd')}"`).replace(/num_class_images\s+\d+/, 'num_class_images 2');
  if (o.saveEvery !== undefined) text = text.replace(/save_every\s+\d+/, `save_every ${o.saveEvery}`);
  await writeFile(file, text);
  await writeFile(join(dir, 'photos', 'broken.jpg'), 'not an image');
  return { file, dir };
}

/** A context that keeps every progress event and log line; `cancelWhen` aborts the job at that event. */
export function recordingContext(cancelWhen?: (p: Progress) => boolean) {
  const abort = new AbortController();
  const events: Progress[] = [];
  const logs: string[] = [];
  const ctx: JobContext = {
    signal: abort.signal,
    log: (_l, m) => logs.push(m),
    progress: (p) => {
      events.push(p);
      if (cancelWhen?.(p)) abort.abort();
    },
  };
  return { ctx, events, logs };
}
