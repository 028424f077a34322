// torch.save checkpoints written by hand (torch-writer.ts) read back to the right tensors: dtypes,
// shapes and the bytes each reference points at, for the zip format (plain, zip64, deflated pickle)
// and the legacy format; what cannot be referenced in place is refused with a reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTorchCheckpoint } from '../../sidecar/weights/torch-ckpt';
import { readWeightIndex } from '../../sidecar/weights/weight-index';
import { bf16ArrayToF32, f16ArrayToF32, writeSafetensors } from '../../sidecar/weights/safetensors';
import type { WeightEntry, WeightIndex } from '../../sidecar/weights/checkpoint-types';
import { bytesOf, stateDictPickle, torchLegacy, torchZip, writeBytes, zipBytes, type HandTensor } from './torch-writer';
import { tempDir } from './layout-helpers';

const dir = tempDir('ckpt');

// fp32 storage 0: 10 floats, viewed by two tensors; fp16 storage 1; int64 storage 2.
const f32 = Float32Array.from({ length: 10 }, (_, i) => i * 0.5 - 1);
const f16 = Uint16Array.of(0x3c00, 0xc000, 0x3800, 0x7bff); // 1, -2, 0.5, 65504
const i64 = BigInt64Array.of(7n, -3n);
const STORAGES = { '0': bytesOf(f32), '1': bytesOf(f16), '2': bytesOf(i64) };
const TENSORS: HandTensor[] = [
  { name: 'model.diffusion_model.conv.weight', storage: '0', dtype: 'Float', numel: 10, shape: [2, 3] },
  { name: 'model.diffusion_model.tail', storage: '0', dtype: 'Float', numel: 10, shape: [4], offset: 6, parameter: true },
  { name: 'first_stage_model.half', storage: '1', dtype: 'Half', numel: 4, shape: [2, 1, 2] },
  { name: 'cond_stage_model.ids', storage: '2', dtype: 'Long', numel: 2, shape: [1, 2], stride: [99, 1] },
];

function read(file: string, e: WeightEntry): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const b = new Uint8Array(e.length);
    assert.equal(readSync(fd, b, 0, e.length, e.offset), e.length);
    return b;
  } finally {
    closeSync(fd);
  }
}

function checkValues(index: WeightIndex): void {
  const t = (n: string) => index.tensors.get(n) ?? assert.fail(`missing ${n}`);
  assert.deepEqual([...index.tensors.keys()], TENSORS.map((x) => x.name));
  const conv = t('model.diffusion_model.conv.weight');
  assert.deepEqual([conv.dtype, conv.shape, conv.length], ['F32', [2, 3], 24]);
  assert.deepEqual([...new Float32Array(read(index.path, conv).slice().buffer)], [-1, -0.5, 0, 0.5, 1, 1.5]);
  const tail = t('model.diffusion_model.tail');
  assert.deepEqual([...new Float32Array(read(index.path, tail).slice().buffer)], [2, 2.5, 3, 3.5]);
  assert.equal(tail.offset, conv.offset + 24, 'a view starts storage_offset elements into its storage');
  const half = t('first_stage_model.half');
  assert.deepEqual([half.dtype, half.shape], ['F16', [2, 1, 2]]);
  assert.deepEqual([...f16ArrayToF32(new Uint16Array(read(index.path, half).slice().buffer))], [1, -2, 0.5, 65504]);
  const ids = t('cond_stage_model.ids');
  assert.equal(ids.dtype, 'I64');
  assert.deepEqual([...new BigInt64Array(read(index.path, ids).slice().buffer)], [7n, -3n]);
}

test('a zip checkpoint {state_dict, global_step, epoch}: fp32, fp16 and int64 tensors, views and parameters read back', async () => {
  const file = writeBytes(join(dir, 'model.ckpt'), torchZip(stateDictPickle(TENSORS), STORAGES));
  const index = await readTorchCheckpoint(file);
  assert.equal(index.format, 'torch');
  checkValues(index);
  for (const e of index.tensors.values()) assert.equal(e.offset % 64 === 0 || e.name.endsWith('tail'), true, 'stored entries are referenced in place, 64-byte aligned');
});

test('a state dict at the top level (diffusers .bin), zip64 records, and a deflated data.pkl', async () => {
  checkValues(await readTorchCheckpoint(writeBytes(join(dir, 'top.bin'), torchZip(stateDictPickle(TENSORS, { topLevel: true }), STORAGES))));
  checkValues(await readTorchCheckpoint(writeBytes(join(dir, 'z64.ckpt'), torchZip(stateDictPickle(TENSORS), STORAGES, { zip64: true }))));
  checkValues(await readTorchCheckpoint(writeBytes(join(dir, 'deflated.ckpt'), torchZip(stateDictPickle(TENSORS), STORAGES, { deflate: ['data.pkl'] }))));
});

test('the legacy (pre-1.6) format reads the same tensors from the storages after its pickles', async () => {
  const file = writeBytes(join(dir, 'legacy.ckpt'), torchLegacy(TENSORS, STORAGES, { '0': 4, '1': 2, '2': 8 }));
  checkValues(await readTorchCheckpoint(file));
});

test('the format is judged by content: a zip named .safetensors is read as torch.save, a safetensors file as safetensors', async () => {
  const file = writeBytes(join(dir, 'disguised.safetensors'), torchZip(stateDictPickle(TENSORS), STORAGES));
  assert.equal((await readWeightIndex(file)).format, 'torch');
  const st = join(dir, 'real.ckpt');
  await writeSafetensors(st, { w: { dtype: 'F32', shape: [2], data: Float32Array.of(1, 2) } });
  assert.equal((await readWeightIndex(st)).format, 'safetensors');
});

// Written by torch.save itself (fixtures/make/torch_ckpt.py), with the values torch holds.
const FIXTURE = join(__dirname, '../../fixtures/torch-ckpt');
const expected = JSON.parse(readFileSync(join(FIXTURE, 'tiny.json'), 'utf8')) as { tensors: Record<string, { dtype: string; shape: number[]; values: number[] }> };
for (const name of ['tiny.ckpt', 'tiny-legacy.ckpt']) {
  test(`${name} written by torch.save reads back every tensor as torch holds it`, async () => {
    const index = await readTorchCheckpoint(join(FIXTURE, name));
    assert.deepEqual([...index.tensors.keys()], Object.keys(expected.tensors));
    for (const [key, want] of Object.entries(expected.tensors)) {
      const e = index.tensors.get(key)!;
      assert.deepEqual([e.dtype, e.shape], [want.dtype, want.shape], key);
      const b = read(index.path, e).slice().buffer;
      const got =
        e.dtype === 'F32' ? new Float32Array(b) : e.dtype === 'F16' ? f16ArrayToF32(new Uint16Array(b)) : e.dtype === 'BF16' ? bf16ArrayToF32(new Uint16Array(b)) : Float64Array.from(new BigInt64Array(b), Number);
      assert.deepEqual([...got], want.values.map((v) => (e.dtype === 'I64' ? v : Math.fround(v))), key);
    }
  });
}

const refusals: [string, Uint8Array, RegExp][] = [
  ['a compressed storage', torchZip(stateDictPickle(TENSORS), STORAGES, { deflate: ['1'] }), /storage record archive\/data\/1 is compressed.*re-save it with torch\.save, or convert it to \.safetensors/],
  ['a big-endian checkpoint', torchZip(stateDictPickle(TENSORS), STORAGES, { byteorder: 'big' }), /stored big-endian; only little-endian/],
  [
    'a non-contiguous (transposed) tensor',
    torchZip(stateDictPickle([{ name: 'w', storage: '0', dtype: 'Float', numel: 10, shape: [2, 3], stride: [1, 2] }]), STORAGES),
    /tensor "w" is stored as a non-contiguous view \(shape \[2, 3\], strides \[1, 2\]\); re-save it after \.contiguous\(\)/,
  ],
  ['a zip without data.pkl', zipBytes([{ name: 'archive/version', data: Uint8Array.of(0x33) }]), /without <archive>\/data\.pkl/],
  ['an object that is not a state dict', torchZip(Uint8Array.of(0x80, 2, 0x5d, 0x2e), {}), /holds a list \(0 items\), not a state dict/],
  ['a dict without tensors', torchZip(Uint8Array.of(0x80, 2, 0x7d, 0x2e), {}), /holds no tensors at its top level or under "state_dict"/],
];
for (const [what, bytes, message] of refusals) {
  test(`refused with a reason: ${what}`, async () => {
    const file = writeBytes(join(dir, 'refused.ckpt'), bytes);
    await assert.rejects(readTorchCheckpoint(file), (e: Error) => (assert.match(e.message, message), assert.ok(e.message.startsWith(file)), true));
  });
}
