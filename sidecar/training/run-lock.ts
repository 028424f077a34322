// One training run per output folder at a time: two runs (two Train clicks, the editor and a terminal)
// would write the same checkpoints and interleave the log. The lock is a file created exclusively in
// the run's folder with the owner's pid; a lock whose process is gone (a crash, kill -9) is stale and
// taken over.
import { hostname } from 'node:os';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { lockRefusal, type RunLockInfo } from '../../protocol/training-run';
import { runLayout } from '../../language/resolve';

export class RunLockedError extends Error {
  override name = 'TrainError';
}

/** Takes the lock of `folder` (created if missing); returns its release. */
export async function lockRun(folder: string): Promise<() => Promise<void>> {
  await mkdir(folder, { recursive: true });
  const path = runLayout(folder).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      const info: RunLockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      await fh.writeFile(JSON.stringify(info));
      await fh.close();
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: RunLockInfo | undefined;
    try {
      held = JSON.parse(await readFile(path, 'utf8')) as RunLockInfo;
    } catch {
      held = undefined; // unreadable or torn: treat as stale
    }
    const refusal = lockRefusal(held, folder, path, hostname());
    if (refusal) throw new RunLockedError(refusal);
    await unlink(path).catch(() => undefined); // stale: its process is gone
  }
  throw new RunLockedError(`could not lock ${folder}: ${path} keeps reappearing`);
}
