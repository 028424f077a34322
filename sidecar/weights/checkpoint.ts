// An SD 1.x model on disk, opened: its parsed configs and, per network, where each weight's bytes are
// (file, offset, dtype, shape) under its diffusers name. Nothing but headers is read here; the bytes
// stay in the user's files until a graph is emitted (ONNX external data points into them).
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { SdCheckpoint } from './checkpoint-types';
import { openDiffusersFolder } from './diffusers-folder';
import { ModelLoadError } from './load-errors';
import { openSingleFile } from './single-file';

export type { ComponentWeights, SdCheckpoint, TensorRef } from './checkpoint-types';

/** Single-file checkpoints: safetensors, or torch.save files (read by torch-ckpt.ts, never executed). */
const SINGLE_FILE_EXTENSIONS = ['.safetensors', '.ckpt', '.pt', '.pth', '.bin'];

/**
 * Opens a diffusers folder or a single-file `.safetensors`/`.ckpt` checkpoint. `configsFrom` (a
 * diffusers folder) overrides SD 1.x's standard configs for a single-file checkpoint of another size.
 * A file's format is judged by its content, whatever its name says.
 */
export async function openCheckpoint(path: string, opts: { configsFrom?: string } = {}): Promise<SdCheckpoint> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new ModelLoadError(`${path}: no such file or folder. Give a diffusers model folder (with model_index.json) or a single-file .safetensors or .ckpt checkpoint.`);
  }
  if (st.isDirectory()) return openDiffusersFolder(path);
  const ext = extname(path).toLowerCase();
  if (!SINGLE_FILE_EXTENSIONS.includes(ext)) throw new ModelLoadError(`${path}: not a checkpoint file (${SINGLE_FILE_EXTENSIONS.join(', ')}) or a diffusers folder (extension "${ext}")`);
  return openSingleFile(path, opts.configsFrom);
}

