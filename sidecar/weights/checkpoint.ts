// An SD 1.x model on disk, opened: its parsed configs and, per network, where each weight's bytes are
// (file, offset, dtype, shape) under its diffusers name. Nothing but headers is read here; the bytes
// stay in the user's files until a graph is emitted (ONNX external data points into them).
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import type { StDType } from './safetensors';
import type { Component } from './sd1-keymap';
import type { ClipTextConfig, UNetConfig, VaeConfig } from '../models/configs';
import type { JsonObject } from '../models/config-check';
import { ModelLoadError, pickleRefusal } from './load-errors';

export interface TensorRef {
  /** The safetensors file that holds the bytes. */
  file: string;
  /** The key as written in that file (differs from the diffusers name in single-file checkpoints). */
  sourceKey: string;
  dtype: StDType;
  /** Shape under the diffusers name (a reshape of the stored shape where the layouts differ). */
  shape: number[];
  storedShape: number[];
  /** Absolute byte offset in `file` and byte length. */
  offset: number;
  length: number;
}

export interface ComponentWeights {
  component: Component;
  /** Where the weights came from, for messages (a file, or a folder's weight file). */
  source: string;
  tensors: Map<string, TensorRef>;
}

export interface SdCheckpoint {
  layout: 'diffusers' | 'single-file';
  path: string;
  unet: UNetConfig;
  vae: VaeConfig;
  textEncoder: ClipTextConfig;
  /** The scheduler_config.json (or SD 1.x's standard one): the base for every sampler. */
  scheduler: JsonObject;
  tokenizerDir: string;
  weights: Record<Component, ComponentWeights>;
}

const PICKLE_EXTENSIONS = ['.ckpt', '.pt', '.pth', '.bin', '.pkl'];

/**
 * Opens a diffusers folder or a single-file `.safetensors` checkpoint. `configsFrom` (a diffusers
 * folder) overrides SD 1.x's standard configs for a single-file checkpoint of another size.
 */
export async function openCheckpoint(path: string, opts: { configsFrom?: string } = {}): Promise<SdCheckpoint> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new ModelLoadError(`${path}: no such file or folder. Give a diffusers model folder (with model_index.json) or a single-file .safetensors checkpoint.`);
  }
  if (st.isDirectory()) return (await import('./diffusers-folder')).openDiffusersFolder(path);
  const ext = extname(path).toLowerCase();
  if (PICKLE_EXTENSIONS.includes(ext)) throw pickleRefusal(path, `"${ext}" is a legacy PyTorch pickle checkpoint`);
  await refuseDisguisedPickle(path);
  if (ext !== '.safetensors') throw new ModelLoadError(`${path}: not a .safetensors file or a diffusers folder (extension "${ext}")`);
  return (await import('./single-file')).openSingleFile(path, opts.configsFrom);
}

/** A .safetensors name does not make a file safe: zip (torch.save) and raw pickle magic are refused too. */
export async function refuseDisguisedPickle(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    const isZip = bytesRead === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
    const isPickle = bytesRead >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5;
    if (isZip || isPickle) throw pickleRefusal(path, 'this file is a PyTorch pickle (torch.save) despite its name');
  } finally {
    await fh.close();
  }
}
