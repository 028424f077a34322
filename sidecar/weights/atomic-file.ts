// Files written atomically: content goes to a temporary file beside the target, renamed over it once
// complete, so a crash or a failed write leaves the old file or none, never a torn one. The one
// spelling of the temporary name, `<file>.tmp-<pid>-<hex>`, lets a run's clean-up read the owner's pid
// back and remove only what a dead process left (training/layout.ts).
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export function tempName(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The pid of the process that wrote temporary file `name`; undefined for any other name. */
export function tempOwner(name: string): number | undefined {
  const pid = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/** Writes `path` through `write(tmp)` and a rename; on failure the temporary file is removed and the
 *  error rethrown. The parent folder is created when missing. */
export async function writeAtomic(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}
