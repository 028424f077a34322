// Damaged and lying torch.save files: cut zips and pickles, declarations larger than the bytes they
// describe, absurd lengths and nesting. Each is a clear error naming the file, found before anything
// of the declared size is allocated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readTorchCheckpoint } from '../../sidecar/weights/torch-ckpt';
import { unpickle, MAX_MARK_DEPTH } from '../../sidecar/weights/pickle/reader';
import { Pickle, bytesOf, op, stateDictPickle, torchLegacy, torchZip, writeBytes, type HandTensor } from './torch-writer';
import { tempDir } from './layout-helpers';

const dir = tempDir('corrupt');
const W: HandTensor = { name: 'w', storage: '0', dtype: 'Float', numel: 2, shape: [2] };
const STORAGES = { '0': bytesOf(Float32Array.of(1, 2)) };
const good = torchZip(stateDictPickle([W]), STORAGES);

async function refused(bytes: Uint8Array, message: RegExp): Promise<void> {
  const file = writeBytes(join(dir, 'bad.ckpt'), bytes);
  await assert.rejects(readTorchCheckpoint(file), (e: Error) => (assert.match(e.message, message), assert.ok(e.message.startsWith(file), e.message), true));
}

test('a zip cut short (an interrupted download) is refused at any length', async () => {
  for (const keep of [good.length - 10, Math.floor(good.length / 2), 100, 4])
    await refused(good.subarray(0, keep), /no zip end-of-central-directory record: the file is truncated/);
});

test('a cut pickle inside an intact zip', async () => {
  const pkl = stateDictPickle([W]);
  await refused(torchZip(pkl.subarray(0, pkl.length - 30), STORAGES), /truncated: .*(before its STOP|needs \d+ bytes)/);
});

test('a central directory that points past the end of the file', async () => {
  const b = good.slice();
  const eocd = b.length - 22;
  new DataView(b.buffer).setUint32(eocd + 16, b.length + 1000, true);
  await refused(b, /the central directory \(\d+ bytes at offset \d+\) lies outside the \d+-byte file/);
  const c = good.slice();
  new DataView(c.buffer).setUint32(c.length - 22 + 12, 0xfffffff0, true);
  await refused(c, /(central directory of \d+ bytes is larger than any checkpoint's|declares zip64 sizes but has no zip64 locator)/);
});

test('a storage declaring more elements than its record holds', async () => {
  await refused(torchZip(stateDictPickle([{ ...W, numel: 1_000_000_000 }]), STORAGES), /storage 0 declares 1000000000 F32 elements \(4000000000 bytes\) but its record holds 8 bytes/);
});

test('a tensor reaching past the end of its storage', async () => {
  await refused(torchZip(stateDictPickle([{ ...W, offset: 1 }]), STORAGES), /tensor "w" \(8 bytes from element 1\) runs past the end of its storage 0 \(8 bytes\)/);
  await refused(torchZip(stateDictPickle([{ ...W, shape: [1_000_000, 1_000_000] }]), STORAGES), /tensor "w" .* runs past the end of its storage 0/);
});

test('a storage record missing from the zip', async () => {
  await refused(torchZip(stateDictPickle([{ ...W, storage: '7' }]), STORAGES), /storage 7 has no record archive\/data\/7 in the zip/);
});

test('huge string, bytes and integer lengths are refused without allocating them', () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Pickle().proto(2).raw(op.BINUNICODE).u32(0xfffffff0).stop(), /truncated: a string needs 4294967280 bytes at byte 7, only 1 left/],
    [new Pickle().proto(4).raw(op.BINUNICODE8, 0, 0, 0, 0, 0, 0, 0, 0x10).stop(), /a string declares 1152921504606846976 bytes at byte \d+, only 1 left/],
    [new Pickle().proto(2).raw(0x8b).u32(0x7fffffff).stop(), /a 2147483647-byte integer at byte 2: larger than any checkpoint holds/],
    [new Pickle().proto(4).raw(op.FRAME, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f).stop(), /a FRAME declares \d+ bytes/],
  ];
  for (const [bytes, message] of cases) assert.throws(() => unpickle(bytes), message);
});

test('deep nesting: MARKs beyond the limit are refused; deeply nested lists are read without recursion', async () => {
  const marks = new Pickle().proto(2).repeat(op.MARK, 100_000).stop();
  assert.throws(() => unpickle(marks), new RegExp(`nesting deeper than ${MAX_MARK_DEPTH} levels at byte ${MAX_MARK_DEPTH + 2}`));
  // {"w": tensor, "x": [[[…200000 deep…]]]}: legal, and must not overflow anything.
  const base = stateDictPickle([W], { topLevel: true });
  const depth = 200_000;
  const p = new Pickle().bytes(base.subarray(0, base.length - 2)).str('x');
  p.repeat(op.EMPTY_LIST, depth).repeat(op.APPEND, depth - 1);
  const index = await readTorchCheckpoint(writeBytes(join(dir, 'nested.ckpt'), torchZip(p.raw(op.SETITEMS).stop(), STORAGES)));
  assert.deepEqual([...index.tensors.keys()], ['w']);
});

test('memo: a huge index is only a key, a missing one is an error', () => {
  assert.equal(unpickle(new Pickle().proto(2).int(5).raw(op.LONG_BINPUT, 0xff, 0xff, 0xff, 0xff).raw(op.POP, op.LONG_BINGET, 0xff, 0xff, 0xff, 0xff).stop()), 5);
  assert.throws(() => unpickle(new Pickle().proto(2).get(3).stop()), /memo entry 3 read at byte \d+ was never stored/);
});

test('a legacy-format file cut inside its storages, or with a storage count that lies', async () => {
  const legacy = torchLegacy([W], STORAGES, { '0': 4 });
  await refused(legacy.subarray(0, legacy.length - 3), /truncated: storage 0 \(8 bytes at \d+\) runs past the end of the \d+-byte file/);
  const lying = legacy.slice();
  new DataView(lying.buffer).setBigInt64(legacy.length - 16, 3n, true);
  await refused(lying, /storage 0 is written with 3 elements but referenced with 2/);
  await refused(legacy.subarray(0, 40), /truncated/);
});

test('a bare pickle that is not torch.save output', async () => {
  await refused(new Pickle().proto(2).str('hello').stop(), /a pickle that is not a torch\.save checkpoint \(it starts with str "hello"/);
});
