// The one spelling of an atomic write's temporary name, `<file>.tmp-<pid>-<hex>` beside its target:
// writers create it (safetensors, PNGs, export staging), and a run's clean-up reads the owner's pid
// back from it to remove only what a dead process left.
import { randomBytes } from 'node:crypto';

export function tempName(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** The pid of the process that wrote temporary file `name`; undefined for any other name. */
export function tempOwner(name: string): number | undefined {
  const pid = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
}
