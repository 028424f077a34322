import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsIndex, readTensor, readTensorF32, SafetensorsError, writeSafetensors, type StWriteTensor } from '../../sidecar/weights/safetensors';

const FIXTURES = join(import.meta.dirname, '../../fixtures');

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'st-test-'));
}

/** Builds a file by hand (independently of our writer) from a header object and raw data. */
function rawFile(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('round trip of every dtype, with metadata, header 8-byte aligned with spaces', async () => {
  const dir = await tmp();
  const path = join(dir, 'all.safetensors');
  const tensors: Record<string, StWriteTensor & { data: ArrayBufferView }> = {
    f64: { dtype: 'F64', shape: [3], data: new Float64Array([1.5, -2e300, Math.PI]) },
    f32: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, 3.25, NaN]) },
    f16: { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
    bf16: { dtype: 'BF16', shape: [1, 2], data: new Uint16Array([0x3f80, 0x4049]) },
    i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 62n), 7n]) },
    i32: { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 2 ** 31 - 1]) },
    i16: { dtype: 'I16', shape: [1], data: new Int16Array([-32768]) },
    i8: { dtype: 'I8', shape: [3], data: new Int8Array([-128, 0, 127]) },
    u8: { dtype: 'U8', shape: [1, 1, 3], data: new Uint8Array([0, 128, 255]) },
    bool: { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) },
    scalar: { dtype: 'F32', shape: [], data: new Float32Array([4]) },
    empty: { dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
  };
  await writeSafetensors(path, tensors, { format: 'pt', note: 'hé' });
  assert.deepEqual(await readdir(dir), ['all.safetensors'], 'no temp file left behind');

  const bytes = await readFile(path);
  const n = Number(bytes.readBigUInt64LE(0));
  assert.equal(n % 8, 0);
  const headerText = bytes.subarray(8, 8 + n).toString('utf8');
  assert.match(headerText, /^\{.*\} *$/);
  const header = JSON.parse(headerText) as Record<string, { data_offsets: [number, number]; dtype: string }>;
  for (const [name, e] of Object.entries(header)) {
    if (name !== '__metadata__') assert.equal((8 + n + e.data_offsets[0]) % ({ F64: 8, I64: 8, F32: 4, I32: 4 }[e.dtype] ?? 1), 0, `${name} aligned`);
  }

  const index = await readSafetensorsIndex(path);
  assert.deepEqual(index.metadata, { format: 'pt', note: 'hé' });
  assert.equal(index.dataStart, 8 + n);
  assert.equal(index.tensors.size, Object.keys(tensors).length);
  for (const [name, t] of Object.entries(tensors)) {
    const r = await readTensor(index, name);
    assert.equal(r.dtype, t.dtype, name);
    assert.deepEqual(r.shape, t.shape, name);
    assert.deepEqual(Array.from(r.data as ArrayLike<unknown>), Array.from(t.data as unknown as ArrayLike<unknown>), name);
  }
  assert.deepEqual(Array.from((await readTensorF32(index, 'f16')).data), [1, -2]);
  assert.deepEqual(Array.from((await readTensorF32(index, 'bf16')).data), [1, 3.140625]);
  assert.deepEqual(Array.from((await readTensorF32(index, 'i64')).data), [-(2 ** 62), 7]);
  assert.deepEqual(Array.from((await readTensorF32(index, 'bool')).data), [1, 0]);
  await assert.rejects(readTensor(index, 'missing'), /missing/);
});

test('reads the reference fixture files', async () => {
  const index = await readSafetensorsIndex(join(FIXTURES, 'torch-randn.safetensors'));
  const meta = JSON.parse(await readFile(join(FIXTURES, 'torch-randn.json'), 'utf8')) as { cases: { shape: number[]; first: string }[] };
  for (const c of meta.cases) {
    const t = await readTensorF32(index, c.first);
    assert.deepEqual(t.shape, c.shape);
    const mean = t.data.reduce((a, b) => a + b, 0) / t.data.length;
    assert.ok(Math.abs(mean) < 1, 'normal samples have a small mean');
  }
  const te = await readSafetensorsIndex(join(FIXTURES, 'tiny-sd/text_encoder/model.safetensors'));
  const emb = te.tensors.get('text_model.embeddings.token_embedding.weight');
  assert.ok(emb, 'token embedding present');
  assert.deepEqual(emb.shape, [49408, 32]);
  const t = await readTensorF32(te, emb.name);
  assert.equal(t.data.length, 49408 * 32);
});

const hostile: [string, () => Uint8Array, RegExp][] = [
  ['shorter than 8 bytes', () => new Uint8Array([1, 2, 3]), /too short/],
  ['header length past the end', () => rawFile({}, new Uint8Array(0)).map((b, i) => (i === 0 ? 200 : b)), /past the end/],
  ['huge header length', () => { const f = rawFile({}, new Uint8Array(0)); new DataView(f.buffer).setBigUint64(0, 2n ** 60n, true); return f; }, /exceeds/],
  ['non-JSON header', () => rawFile(null, new Uint8Array(0), 'this is not json'), /not valid JSON/],
  ['header an array', () => rawFile([1, 2], new Uint8Array(0)), /must be a JSON object/],
  ['header a number', () => rawFile(12345, new Uint8Array(0)), /must be a JSON object/],
  ['offsets not numbers', () => rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }, new Uint8Array(4)), /"a".*data_offsets/],
  ['negative shape', () => rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /"a".*shape/],
  ['fractional shape', () => rawFile({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape/],
  ['unknown dtype', () => rawFile({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /unsupported dtype/],
  ['wrong dtype size', () => rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /needs 8 bytes/],
  ['truncated data (lying header)', () => rawFile({ a: { dtype: 'F32', shape: [1000], data_offsets: [0, 4000] } }, new Uint8Array(16)), /past the end of the data/],
  ['huge shape', () => rawFile({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4)), /needs/],
  ['overlapping offsets', () => rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), /overlap/],
  ['end before begin', () => rawFile({ a: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, new Uint8Array(12)), /end before/],
  ['duplicate names', () => rawFile(null, new Uint8Array(8), '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "a" :{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'), /"a".*twice/],
  ['metadata not strings', () => rawFile({ __metadata__: { a: 1 } }, new Uint8Array(0)), /__metadata__/],
  ['entry not an object', () => rawFile({ a: 3 }, new Uint8Array(0)), /"a"/],
];

for (const [what, make, message] of hostile) {
  test(`hostile input: ${what} → SafetensorsError naming the file`, async () => {
    const path = join(await tmp(), 'bad.safetensors');
    await writeFile(path, make());
    await assert.rejects(readSafetensorsIndex(path), (e: unknown) => {
      assert.ok(e instanceof SafetensorsError, `got ${String(e)}`);
      assert.match(e.message, message);
      assert.ok(e.message.startsWith(path), e.message);
      return true;
    });
  });
}

test('file truncated after the index was read → SafetensorsError on read', async () => {
  const path = join(await tmp(), 'short.safetensors');
  const f = rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(16));
  await writeFile(path, f);
  const index = await readSafetensorsIndex(path);
  await writeFile(path, f.subarray(0, f.length - 8));
  await assert.rejects(readTensor(index, 'a'), SafetensorsError);
});

test('writer refuses mismatched sizes and leaves no file', async () => {
  const dir = await tmp();
  const path = join(dir, 'x.safetensors');
  await assert.rejects(writeSafetensors(path, { w: { dtype: 'F16', shape: [3], data: new Float32Array(3) } }), /"w".*needs 6 bytes, data has 12/);
  assert.deepEqual(await readdir(dir), []);
});

test('writer: lazily loaded tensors are written in order and checked', async () => {
  const dir = await tmp();
  const path = join(dir, 'lazy.safetensors');
  const loaded: string[] = [];
  const lazy = (name: string, values: number[]): StWriteTensor => ({ dtype: 'F32', shape: [values.length], load: async () => (loaded.push(name), new Float32Array(values)) });
  await writeSafetensors(path, { b: lazy('b', [3, 4, 5]), a: lazy('a', [1, 2]) });
  assert.deepEqual(loaded, ['a', 'b']);
  const index = await readSafetensorsIndex(path);
  assert.deepEqual(Array.from((await readTensorF32(index, 'b')).data), [3, 4, 5]);
  await assert.rejects(writeSafetensors(join(dir, 'bad.safetensors'), { w: { dtype: 'F32', shape: [4], load: async () => new Float32Array(3) } }), /"w".*needs 16 bytes, loaded data has 12/);
  assert.deepEqual((await readdir(dir)).sort(), ['lazy.safetensors']);
});
