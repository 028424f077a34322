// Writing an export plan: everything goes into a staging folder beside the target (which also proves
// the target's folder is writable), tensor by tensor (each safetensors header first, from the plan),
// and only a complete export is renamed into place. A failure or a cancel removes the staging folder:
// nothing half-written is ever left, and an existing target is replaced only when asked (force).
import { cp, mkdir, rename, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { tempName } from './atomic-file';
import { basename, dirname, join } from 'node:path';
import { writeSafetensors, type StWriteTensor } from './safetensors';
import type { ExportPlan } from './export-plan';

export class ExportWriteError extends Error {
  override name = 'ExportWriteError';
}

export interface WriteOptions {
  /** Replace an existing target. */
  force: boolean;
  /** Called before each tensor is computed (throw to stop: the staging folder is removed). */
  onTensor?: (done: number, total: number, name: string) => void;
}

const GiB = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;

/** Refuses an existing target (unless force) or one of the wrong kind; cheap, so jobs call it before any work. */
export async function checkTarget(out: string, shape: ExportPlan['shape'], force: boolean): Promise<void> {
  const st = await stat(out).catch(() => undefined);
  if (!st) return;
  if (shape === 'file' && st.isDirectory()) throw new ExportWriteError(`${out} is a folder; give a file name for this export`);
  if (shape === 'folder' && !st.isDirectory()) throw new ExportWriteError(`${out} is a file; a diffusers export is a folder: give a folder name`);
  if (!force) throw new ExportWriteError(`${out} already exists; choose another output (--out) or replace it (--force)`);
}

/** Writes `plan` to `out` (a file or a folder, by the plan's shape); returns `out`. */
export async function writeExport(plan: ExportPlan, out: string, opts: WriteOptions): Promise<string> {
  await checkTarget(out, plan.shape, opts.force);
  const parent = dirname(out);
  try {
    await mkdir(parent, { recursive: true });
  } catch (e) {
    throw new ExportWriteError(`cannot create the folder ${parent} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose another output`);
  }
  const free = await statfs(parent).then((s) => s.bavail * s.bsize, () => Infinity);
  if (free < plan.bytes) throw new ExportWriteError(`the export needs ${GiB(plan.bytes)} but ${parent} has ${GiB(free)} free`);
  const staging = tempName(join(parent, `.${basename(out)}`));
  try {
    await mkdir(staging);
  } catch (e) {
    throw new ExportWriteError(`cannot write in ${parent} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); choose another output`);
  }
  try {
    await writeInto(staging, plan, opts);
    if (plan.shape === 'file') await rename(join(staging, FILE), out); // atomic, also over an old file
    else await swapFolder(staging, out);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return out;
}

/** The single-file export's name inside the staging folder. */
const FILE = 'export.safetensors';

async function writeInto(dir: string, plan: ExportPlan, opts: WriteOptions): Promise<void> {
  const total = plan.files.reduce((n, f) => n + Object.keys(f.tensors).length, 0);
  let done = 0;
  for (const f of plan.files) {
    const path = join(dir, f.path || FILE);
    await mkdir(dirname(path), { recursive: true });
    const tensors: Record<string, StWriteTensor> = {};
    for (const [name, t] of Object.entries(f.tensors)) {
      const { dtype, shape } = t;
      const get = 'data' in t ? async () => t.data : t.load;
      tensors[name] = { dtype, shape, load: async () => (opts.onTensor?.(done++, total, name), get()) };
    }
    await writeSafetensors(path, tensors, f.metadata);
  }
  for (const c of plan.copies) await cp(c.from, join(dir, c.to), { recursive: true, dereference: true });
  for (const [path, value] of Object.entries(plan.json)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), `${JSON.stringify(value, null, 2)}\n`);
  }
}

/** Puts the staged folder at `out`; an old folder there is moved aside first and removed only after. */
async function swapFolder(staged: string, out: string): Promise<void> {
  const old = (await stat(out).catch(() => undefined)) ? `${staged}.old` : undefined;
  if (old) await rename(out, old);
  try {
    await rename(staged, out);
  } catch (e) {
    if (old) await rename(old, out);
    throw e;
  }
  if (old) await rm(old, { recursive: true, force: true });
}
