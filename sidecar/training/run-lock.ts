// One training run per output folder at a time: two runs (two Train clicks, the editor and a terminal)
// would write the same checkpoints and interleave the log. The lock is a file created exclusively in
// the run's folder with the owner's pid; a lock whose process is gone (a crash, kill -9) is stale and
// taken over.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export class RunLockedError extends Error {
  override name = 'TrainError';
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** Whether process `pid` is running. A zombie — killed, not yet reaped, as under a container's init
 *  that never reaps — counts as gone: kill(pid, 0) still succeeds on it. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
  try {
    return !/^\d+ \(.*\) Z/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS, Windows): kill(pid, 0) is all there is
  }
}

/** Takes the lock of `folder` (created if missing); returns its release. */
export async function lockRun(folder: string): Promise<() => Promise<void>> {
  await mkdir(folder, { recursive: true });
  const path = join(folder, 'train.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await fh.writeFile(JSON.stringify(info));
      await fh.close();
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(await readFile(path, 'utf8')) as LockInfo;
    } catch {
      held = undefined; // unreadable or torn: treat as stale
    }
    if (held && held.host === hostname() && alive(held.pid))
      throw new RunLockedError(`another training run is using ${folder} (process ${held.pid}, since ${held.since}); wait for it to finish or cancel it, or give this concept file its own output folder`);
    if (held && held.host !== hostname())
      throw new RunLockedError(`${folder} is locked by a training run on ${held.host} (process ${held.pid}); if that run is gone, delete ${path}`);
    await unlink(path).catch(() => undefined); // stale: its process is gone
  }
  throw new RunLockedError(`could not lock ${folder}: ${path} keeps reappearing`);
}
