// Reading and writing `.safetensors` files (https://github.com/huggingface/safetensors):
// 8-byte little-endian header length N, N bytes of JSON header padded with spaces, then raw
// little-endian tensor data. Readers fetch only the bytes they need with positioned reads, so a
// multi-gigabyte checkpoint costs only the tensors actually asked for.

import { open } from 'node:fs/promises';
import { writeAtomic } from './atomic-file';
import { DTYPES, elementCount, type StDType, type TypedArray } from './safetensors-dtypes';
import { checkHeaderLength, parseHeader, SafetensorsError, type StEntry } from './safetensors-header';
import { bf16ArrayToF32, f16ArrayToF32 } from './safetensors-half';

export type { StDType, TypedArray } from './safetensors-dtypes';
export { SafetensorsError, type StEntry } from './safetensors-header';
export * from './safetensors-half';

export interface StIndex {
  path: string;
  fileSize: number;
  headerLength: number;
  /** = 8 + headerLength: file offset of data byte 0 (add `entry.begin` for ONNX external data). */
  dataStart: number;
  tensors: Map<string, StEntry>;
  metadata: Record<string, string>;
}

export interface StTensor {
  dtype: StDType;
  shape: number[];
  /** F16/BF16 as raw bits (Uint16Array), I64 as BigInt64Array, BOOL as Uint8Array. */
  data: TypedArray;
}

/** Reads and validates the header only. */
export async function readSafetensorsIndex(path: string): Promise<StIndex> {
  const fh = await openOrExplain(path);
  try {
    const fileSize = (await fh.stat()).size;
    const prefix = await readExactly(fh, path, 0, Math.min(8, fileSize));
    const headerLength = checkHeaderLength(path, prefix, fileSize);
    const headerBytes = await readExactly(fh, path, 8, headerLength);
    let json: string;
    try {
      json = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw new SafetensorsError(path, 'header is not valid UTF-8');
    }
    const dataStart = 8 + headerLength;
    const { tensors, metadata } = parseHeader(path, json, fileSize - dataStart);
    return { path, fileSize, headerLength, dataStart, tensors, metadata };
  } finally {
    await fh.close();
  }
}

/** Reads one tensor's bytes (and only those) into a freshly allocated, aligned typed array. */
export async function readTensor(index: StIndex, name: string): Promise<StTensor> {
  const entry = index.tensors.get(name);
  if (!entry) throw new SafetensorsError(index.path, `no such tensor (the file has ${index.tensors.size})`, name);
  const fh = await openOrExplain(index.path);
  try {
    const bytes = await readExactly(fh, index.path, index.dataStart + entry.begin, entry.end - entry.begin, name);
    const info = DTYPES[entry.dtype];
    const data = info.view(bytes.buffer as ArrayBuffer, 0, (entry.end - entry.begin) / info.itemSize);
    return { dtype: entry.dtype, shape: [...entry.shape], data };
  } finally {
    await fh.close();
  }
}

/** Reads one tensor converted to float32 (F16/BF16 exactly, F64 and I64 rounded, BOOL as 0/1). */
export async function readTensorF32(index: StIndex, name: string): Promise<{ shape: number[]; data: Float32Array }> {
  const t = await readTensor(index, name);
  return { shape: t.shape, data: toF32(t) };
}

export function toF32(t: { dtype: StDType; data: TypedArray }): Float32Array {
  switch (t.dtype) {
    case 'F32':
      return t.data as Float32Array;
    case 'F16':
      return f16ArrayToF32(t.data as Uint16Array);
    case 'BF16':
      return bf16ArrayToF32(t.data as Uint16Array);
    case 'I64':
      return Float32Array.from(t.data as BigInt64Array, (v) => Number(v));
    default:
      return Float32Array.from(t.data as Exclude<TypedArray, BigInt64Array>);
  }
}

/**
 * A tensor to write: its bytes now (`data`), or a `load` function called when the writer reaches it,
 * so a multi-gigabyte export (e.g. a merged checkpoint) holds one tensor in memory at a time.
 */
export type StWriteTensor = { dtype: StDType; shape: number[] } & ({ data: ArrayBufferView } | { load: () => Promise<ArrayBufferView> });

/**
 * Writes a safetensors file atomically (temp file in the same folder, fsync, rename). Tensors are
 * laid out widest dtype first, then by name, as the reference writer does, so every tensor starts
 * at a multiple of its item size; the header is space-padded to a multiple of 8.
 */
export async function writeSafetensors(path: string, tensors: Record<string, StWriteTensor>, metadata?: Record<string, string>): Promise<void> {
  const names = Object.keys(tensors).sort((a, b) => DTYPES[tensors[b]!.dtype].itemSize - DTYPES[tensors[a]!.dtype].itemSize || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name]!;
    const bytes = byteLength(path, name, t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);

  await writeAtomic(path, async (tmp) => {
    const fh = await open(tmp, 'w');
    try {
      await fh.write(head);
      for (const name of names) {
        const t = tensors[name]!;
        const d = 'data' in t ? t.data : await t.load();
        const expected = byteLength(path, name, t);
        if (d.byteLength !== expected) throw new SafetensorsError(path, `${t.dtype} shape [${t.shape.join(', ')}] needs ${expected} bytes, loaded data has ${d.byteLength}`, name);
        await fh.write(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}

/** The tensor's byte size from its dtype and shape, checked against `data` when given. */
function byteLength(path: string, name: string, t: StWriteTensor): number {
  if (name === '__metadata__') throw new SafetensorsError(path, 'the name "__metadata__" is reserved', name);
  if (!DTYPES[t.dtype]) throw new SafetensorsError(path, `unsupported dtype ${String(t.dtype)}`, name);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(path, `shape must be non-negative integers, got [${t.shape.join(', ')}]`, name);
  const expected = elementCount(t.shape) * DTYPES[t.dtype].itemSize;
  if (!Number.isSafeInteger(expected)) throw new SafetensorsError(path, `shape [${t.shape.join(', ')}] is too large`, name);
  if ('data' in t && expected !== t.data.byteLength) {
    throw new SafetensorsError(path, `${t.dtype} shape [${t.shape.join(', ')}] needs ${expected} bytes, data has ${t.data.byteLength}`, name);
  }
  return expected;
}

type Handle = Awaited<ReturnType<typeof open>>;

async function openOrExplain(path: string): Promise<Handle> {
  try {
    return await open(path, 'r');
  } catch (e) {
    throw new SafetensorsError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Positioned read of exactly `length` bytes; a short read means the file changed or is truncated. */
async function readExactly(fh: Handle, path: string, position: number, length: number, tensor?: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, length - done, position + done);
    if (bytesRead === 0) throw new SafetensorsError(path, `file ended after ${position + done} bytes while reading ${length} bytes at offset ${position}`, tensor);
    done += bytesRead;
  }
  return out;
}
