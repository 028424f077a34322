// A weight file's tensors by key, whatever wrote it: safetensors, or torch.save (zip or legacy
// pickle). The format is judged by the file's first bytes; the name only chooses whose error a file
// that is neither gets.
import { open } from 'node:fs/promises';
import type { WeightEntry, WeightIndex } from './checkpoint-types';
import { readSafetensorsIndex } from './safetensors';
import { readTorchCheckpoint, sniffTorch } from './torch-ckpt';

export async function readWeightIndex(path: string): Promise<WeightIndex> {
  const fh = await open(path, 'r');
  const head = new Uint8Array(9);
  try {
    await fh.read(head, 0, 9, 0);
  } finally {
    await fh.close();
  }
  // safetensors: an 8-byte header length, then the JSON header's "{".
  const safetensors = head[8] === 0x7b;
  if (sniffTorch(head) || (!safetensors && !/\.safetensors$/i.test(path))) return readTorchCheckpoint(path);
  const index = await readSafetensorsIndex(path);
  const tensors = new Map<string, WeightEntry>();
  for (const e of index.tensors.values()) tensors.set(e.name, { name: e.name, dtype: e.dtype, shape: e.shape, offset: index.dataStart + e.begin, length: e.end - e.begin });
  return { path, format: 'safetensors', tensors, metadata: index.metadata };
}
