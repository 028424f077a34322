// Test helpers: temporary model folders and single-file checkpoints made from the tiny fixture model.
import { mkdtempSync, mkdirSync, symlinkSync, copyFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsIndex, readTensor, toF32, f32ArrayToF16, f32ArrayToBf16, writeSafetensors, type StDType, type StWriteTensor } from '../../sidecar/weights/safetensors';
import { Sd1KeyMap, keymapShapeOf, isVaeAttentionProjection, type Component } from '../../sidecar/weights/sd1-keymap';
import { openCheckpoint } from '../../sidecar/weights/checkpoint';
import { stateDictPickle, torchZip, writeBytes, type HandTensor, type TorchDType } from './torch-writer';

export const TINY = join(__dirname, '../../fixtures/tiny-sd');

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `h5-${tag}-`));
}

/** A copy of the tiny model folder made of symlinks, minus `omit` components; `replace` swaps files in. */
export function tinyFolder(opts: { omit?: string[]; replace?: Record<string, (dst: string) => void> } = {}): string {
  const dir = tempDir('model');
  for (const entry of readdirSync(TINY)) {
    if (entry === 'cases' || entry === 'index.json' || opts.omit?.includes(entry)) continue;
    if (entry.endsWith('.json')) {
      copyFileSync(join(TINY, entry), join(dir, entry));
      continue;
    }
    mkdirSync(join(dir, entry));
    for (const f of readdirSync(join(TINY, entry))) {
      const rel = `${entry}/${f}`;
      if (opts.replace?.[rel]) opts.replace[rel](join(dir, rel));
      else symlinkSync(join(TINY, rel), join(dir, rel));
    }
  }
  return dir;
}

function convert(data: Float32Array, dtype: StDType): ArrayBufferView {
  if (dtype === 'F16') return f32ArrayToF16(data);
  if (dtype === 'BF16') return f32ArrayToBf16(data);
  return data;
}

/**
 * The tiny model's weights under original single-file names (through the project's key table), as a
 * converter would write them: VAE attention projections as [C, C, 1, 1], plus extra keys that real
 * checkpoints carry (EMA, schedule buffers, position ids) and that loading must ignore.
 */
export async function tinySingleFile(dtype: StDType, extra: Record<string, StWriteTensor> = {}, metadata?: Record<string, string>): Promise<string> {
  const file = join(tempDir('single'), `tiny-${dtype}.safetensors`);
  await writeSafetensors(file, await tinyOriginalTensors(dtype, extra), metadata);
  return file;
}

const TORCH_TYPES: Partial<Record<StDType, TorchDType>> = { F32: 'Float', F16: 'Half', BF16: 'BFloat16', I64: 'Long' };

/** The same tensors as tinySingleFile, as torch.save writes an SD checkpoint: `{"state_dict": …}` in a zip, one storage each. */
export async function tinyCkpt(dtype: StDType): Promise<string> {
  const tensors = await tinyOriginalTensors(dtype);
  const hand: HandTensor[] = [];
  const storages: Record<string, Uint8Array> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const data = 'data' in t ? t.data : await t.load();
    const key = String(hand.length);
    storages[key] = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    hand.push({ name, storage: key, dtype: TORCH_TYPES[t.dtype]!, numel: t.shape.reduce((a, b) => a * b, 1), shape: t.shape });
  }
  return writeBytes(join(tempDir('ckpt'), `tiny-${dtype}.ckpt`), torchZip(stateDictPickle(hand), storages));
}

async function tinyOriginalTensors(dtype: StDType, extra: Record<string, StWriteTensor> = {}): Promise<Record<string, StWriteTensor>> {
  const ck = await openCheckpoint(TINY);
  const km = new Sd1KeyMap(keymapShapeOf(ck.unet, ck.vae));
  const tensors: Record<string, StWriteTensor> = {};
  for (const component of ['unet', 'vae', 'text_encoder'] as Component[]) {
    for (const [key, ref] of ck.weights[component].tensors) {
      if (key.endsWith('position_ids')) continue;
      const idx = await readSafetensorsIndex(ref.file);
      const data = toF32(await readTensor(idx, ref.sourceKey));
      const shape = isVaeAttentionProjection(component, key) ? [...ref.shape, 1, 1] : ref.shape;
      tensors[km.toOriginal(component, key)!] = { dtype, shape, data: convert(data, dtype) };
    }
  }
  tensors['model_ema.decay'] = { dtype: 'F32', shape: [], data: Float32Array.of(0.9999) };
  tensors['betas'] = { dtype: 'F32', shape: [1000], data: new Float32Array(1000) };
  tensors['cond_stage_model.transformer.text_model.embeddings.position_ids'] = { dtype: 'I64', shape: [1, 77], data: BigInt64Array.from({ length: 77 }, (_, i) => BigInt(i)) };
  Object.assign(tensors, extra);
  return tensors;
}

export function writeText(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}
