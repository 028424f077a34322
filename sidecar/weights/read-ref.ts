// Reading one referenced tensor (a byte range of a weight file) as float32, whatever it is stored as.
import { open } from 'node:fs/promises';
import type { TensorRef } from './checkpoint-types';
import { toF32 } from './safetensors';
import { DTYPES } from './safetensors-dtypes';

export async function readRefF32(t: TensorRef): Promise<Float32Array> {
  const fh = await open(t.file, 'r');
  try {
    const buf = new Uint8Array(t.length);
    await fh.read(buf, 0, t.length, t.offset);
    const info = DTYPES[t.dtype];
    return toF32({ dtype: t.dtype, data: info.view(buf.buffer as ArrayBuffer, 0, t.length / info.itemSize) }).slice();
  } finally {
    await fh.close();
  }
}
