// Reading one tensor by reference (file, offset, length, dtype): the bytes as stored, or as float32.
import { open } from 'node:fs/promises';
import type { TensorRef } from './checkpoint-types';
import { toF32 } from './safetensors';
import { DTYPES } from './safetensors-dtypes';

/** The tensor's bytes exactly as stored (one positioned read). */
export async function readRefBytes(t: TensorRef): Promise<Uint8Array> {
  const fh = await open(t.file, 'r');
  try {
    const buf = new Uint8Array(t.length);
    let done = 0;
    while (done < t.length) {
      const { bytesRead } = await fh.read(buf, done, t.length - done, t.offset + done);
      if (bytesRead === 0) throw new Error(`${t.file}: file ended while reading tensor "${t.sourceKey}" (truncated, or changed since it was opened)`);
      done += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/** The tensor as a fresh float32 array (F16/BF16 exactly; a copy, so callers may modify it). */
export async function readRefF32(t: TensorRef): Promise<Float32Array> {
  const buf = await readRefBytes(t);
  const info = DTYPES[t.dtype];
  const f = toF32({ dtype: t.dtype, data: info.view(buf.buffer as ArrayBuffer, 0, t.length / info.itemSize) });
  return t.dtype === 'F32' ? f.slice() : f;
}
