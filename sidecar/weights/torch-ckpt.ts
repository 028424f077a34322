// PyTorch checkpoints (.ckpt/.pt/.pth/.bin written by torch.save) read without running anything:
// the pickle is interpreted by pickle/reader.ts, which only knows the globals a state dict needs, and
// each tensor becomes a byte range of the file, referenced in place like a safetensors tensor.
import { open } from 'node:fs/promises';
import type { WeightEntry, WeightIndex } from './checkpoint-types';
import { ModelLoadError } from './load-errors';
import { PickleError, TorchTensor } from './pickle/values';
import { stateDictOf, tensorEntry } from './torch-storage';
import { readTorchZip } from './torch-zip';
import { readTorchLegacy } from './torch-legacy';

/** The format a file's first bytes announce: a zip (torch.save ≥ 1.6), a bare pickle (older torch.save), or neither. */
export function sniffTorch(head: Uint8Array): 'zip' | 'legacy' | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 0x03 && head[3] === 0x04) || (head[2] === 0x05 && head[3] === 0x06))) return 'zip';
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return 'legacy';
  return undefined;
}

export async function readTorchCheckpoint(path: string): Promise<WeightIndex> {
  const fh = await open(path, 'r');
  try {
    const fileSize = (await fh.stat()).size;
    const head = new Uint8Array(4);
    await fh.read(head, 0, 4, 0);
    const kind = sniffTorch(head);
    if (!kind) throw new ModelLoadError(`${path}: not a PyTorch checkpoint (neither a torch.save zip nor a pickle)`);
    const { root, storages } = kind === 'zip' ? await readTorchZip(fh, path, fileSize) : await readTorchLegacy(fh, fileSize);
    const tensors = new Map<string, WeightEntry>();
    const dict = stateDictOf(root);
    for (const [key, value] of dict.map) {
      // Non-tensor entries (a step counter, nested optimizer state) are not weights.
      if (typeof key !== 'string' || !(value instanceof TorchTensor)) continue;
      const s = storages.get(value.storage.key)!;
      tensors.set(key, tensorEntry(key, value, s.start, s.bytes));
    }
    if (!tensors.size) {
      const keys = [...dict.map.keys()].slice(0, 6).map(String);
      throw new ModelLoadError(`${path}: the checkpoint holds no tensors at its top level or under "state_dict" (keys: ${keys.join(', ') || 'none'})`);
    }
    return { path, format: 'torch', tensors };
  } catch (e) {
    if (e instanceof PickleError) throw new ModelLoadError(`${path}: ${e.message}`);
    throw e;
  } finally {
    await fh.close();
  }
}
