// Staging a model whose initializers point into the user's .safetensors files (ONNX external data).
// ORT only reads external data that sits in the .onnx's folder or below it: absolute locations, `..`
// and symlinks are refused, hard links are accepted. So the .onnx is written into a cache folder next
// to hard links of the weight files (and built blobs written out). Hard links cannot cross file
// systems; then the runtime gets the model as bytes and the worker reads each weight file itself
// (one copy in memory, none across threads).
import { createHash } from 'node:crypto';
import { link, mkdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { ExternalDataSource, ModelSource } from './types';
import { BUILT_PREFIX, cacheMaxBytes, pruneCache, touchEntry } from './cache';
import { writeAtomic } from '../weights/atomic-file';

/** An external-data file as the ONNX emitter lists it (sidecar/onnx/emit.ts `ExternalFile`). */
export interface ExternalFile {
  /** The `location` written in the model (relative, no `..`). */
  location: string;
  /** A file on disk, e.g. /models/sd15/unet/diffusion_pytorch_model.safetensors … */
  path?: string;
  /** … or bytes built in memory. */
  data?: Uint8Array;
}

/** Errors that mean "no hard link possible here", as opposed to a real I/O problem. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'EACCES']);

function checkLocation(location: string): void {
  const n = normalize(location);
  if (!location || isAbsolute(location) || n.split(sep).includes('..'))
    throw new Error(`external data location "${location}" must be a relative path inside the model folder (no absolute path, no "..")`);
}

/** Links `file` at `target` unless `target` already is that file (same inode). */
async function linkInto(file: string, target: string): Promise<void> {
  const src = await stat(file);
  const existing = await stat(target).catch(() => undefined);
  if (existing && existing.ino === src.ino && existing.dev === src.dev) return;
  if (existing) await unlink(target);
  await mkdir(dirname(target), { recursive: true });
  await link(file, target);
}

/** A file's identity for cache keys: a changed or replaced file never matches an entry made from the old one. */
export async function fileIdentity(path: string): Promise<string> {
  const s = await stat(path);
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/**
 * Returns `{ onnxPath }` of a staged copy in `cacheDir` (reused while the model bytes and weight files
 * are unchanged), or `{ bytes, externalData }` when hard links are impossible.
 */
export async function stageModel(bytes: Uint8Array, externals: ExternalFile[], cacheDir: string): Promise<ModelSource> {
  const hash = createHash('sha256').update(bytes);
  for (const e of externals) {
    checkLocation(e.location);
    if (e.data) {
      hash.update(`\0${e.location}\0`).update(e.data);
    } else if (e.path) {
      const file = e.path;
      const id = await fileIdentity(file).catch((err: NodeJS.ErrnoException) => {
        throw new Error(`weight file ${file} (external data "${e.location}") cannot be read: ${err.code ?? err.message}`);
      });
      hash.update(`\0${e.location}\0${file}\0${id}`);
    } else throw new Error(`external data "${e.location}" has neither a path nor data`);
  }
  const dir = join(cacheDir, hash.digest('hex').slice(0, 20));
  const onnxPath = join(dir, 'model.onnx');
  try {
    for (const e of externals) if (e.path) await linkInto(e.path, join(dir, e.location));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code || !NO_LINK.has(code)) throw err;
    const externalData: ExternalDataSource[] = externals.map((e) => (e.data ? { path: e.location, data: e.data } : { path: e.location, file: e.path as string }));
    return { bytes, externalData };
  }
  let wrote = false;
  for (const e of externals) if (e.data && !(await exists(join(dir, e.location)))) (await writeAtomic(join(dir, e.location), (tmp) => writeFile(tmp, e.data!)), (wrote = true));
  if (!(await exists(onnxPath))) (await writeAtomic(onnxPath, (tmp) => writeFile(tmp, bytes)), (wrote = true));
  await touchEntry(dir);
  if (wrote) await pruneCache(cacheDir, cacheMaxBytes(), dir);
  return { onnxPath };
}

/**
 * A file derived from the user's weights that several staged models share (the blocked filters of a
 * UNet serve every image size): `cacheDir/built-<hash of key>/name`, written by `write` when missing or
 * not `size` bytes long (atomically: a failed or interrupted write leaves nothing), linked into each
 * model's entry like a weight file. `key` must name everything its content depends on.
 */
export async function stageBuilt(cacheDir: string, name: string, key: string, size: number, write: (path: string) => Promise<void>): Promise<string> {
  const dir = join(cacheDir, `${BUILT_PREFIX}${createHash('sha256').update(key).digest('hex').slice(0, 20)}`);
  const path = join(dir, name);
  if ((await stat(path).catch(() => undefined))?.size !== size) {
    await writeAtomic(path, async (tmp) => {
      await write(tmp);
      const wrote = (await stat(tmp)).size;
      if (wrote !== size) throw new Error(`${name}: built ${wrote} bytes, expected ${size}`);
    });
    await pruneCache(cacheDir, cacheMaxBytes(), dir);
  }
  await touchEntry(dir);
  return path;
}
