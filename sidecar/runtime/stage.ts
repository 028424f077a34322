// Staging a model whose initializers point into the user's .safetensors files (ONNX external data).
// ORT only reads external data that sits in the .onnx's folder or below it: absolute locations, `..`
// and symlinks are refused, hard links are accepted. So the .onnx is written into a cache folder next
// to hard links of the weight files. Hard links cannot cross file systems; then the runtime gets the
// model as bytes and the worker reads each weight file itself (one copy in memory, none across threads).
import { createHash } from 'node:crypto';
import { link, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { ModelSource } from './types';

export interface ExternalFile {
  /** The `location` written in the model's external-data entries (relative, no `..`). */
  location: string;
  /** The real file, e.g. /models/sd15/unet/diffusion_pytorch_model.safetensors. */
  file: string;
}

/** Errors that mean "no hard link possible here", as opposed to a real I/O problem. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP', 'EACCES']);

function checkLocation(location: string): void {
  const n = normalize(location);
  if (!location || isAbsolute(location) || n === '..' || n.startsWith(`..${sep}`) || n.split(sep).includes('..'))
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

/**
 * Returns `{ onnxPath }` of a staged copy in `cacheDir` (reused while the model bytes and weight files
 * are unchanged), or `{ bytes, externalData: [{ path, file }] }` when hard links are impossible.
 */
export async function stageModel(bytes: Uint8Array, externals: ExternalFile[], cacheDir: string): Promise<ModelSource> {
  externals.forEach((e) => checkLocation(e.location));
  const hash = createHash('sha256').update(bytes);
  for (const e of externals) {
    const s = await stat(e.file).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`weight file ${e.file} (external data "${e.location}") cannot be read: ${err.code ?? err.message}`);
    });
    hash.update(`\0${e.location}\0${e.file}\0${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`);
  }
  const dir = join(cacheDir, hash.digest('hex').slice(0, 20));
  const onnxPath = join(dir, 'model.onnx');
  try {
    for (const e of externals) await linkInto(e.file, join(dir, e.location));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code && NO_LINK.has(code)) return { bytes, externalData: externals.map((e) => ({ path: e.location, file: e.file })) };
    throw err;
  }
  if (!(await stat(onnxPath).catch(() => undefined))) {
    await mkdir(dir, { recursive: true });
    const tmp = `${onnxPath}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, onnxPath);
  }
  return { onnxPath };
}
