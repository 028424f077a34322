// Models whose initializers live in a .safetensors-like file: staged next to hard links (the path ORT
// accepts), the cross-device fallback to bytes, and refused locations.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openRuntime, type HostTensor, type Runtime } from '../../sidecar/runtime/runtime';
import { stageBuilt, stageModel } from '../../sidecar/runtime/stage';
import { listEntries } from '../../sidecar/runtime/cache';
import { externalBiasModel, lcg } from './models';
import { tempOwner } from '../../sidecar/weights/atomic-file';

/** A file laid out like a .safetensors: 8-byte header length, JSON header, then the tensor bytes. */
async function writeWeights(path: string, b: Float32Array): Promise<number> {
  const header = Buffer.from(JSON.stringify({ b: { dtype: 'F32', shape: [b.length], data_offsets: [0, b.byteLength] } }) + '   ');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  await writeFile(path, Buffer.concat([len, header, Buffer.from(b.buffer)]));
  return 8 + header.length; // where the tensor bytes begin
}

describe('external data', () => {
  const n = 7;
  const b = lcg(n, 11);
  const x = lcg(n, 12);
  const want = Array.from(x, (v, i) => Math.fround(v + b[i]!));
  let rt: Runtime;
  let dir: string;
  before(async () => {
    rt = await openRuntime({ providers: ['cpu'] });
    dir = await mkdtemp(join(tmpdir(), 'rt-stage-'));
  });
  after(async () => {
    await rt.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function runBias(source: Parameters<Runtime['load']>[0]): Promise<number[]> {
    const s = await rt.load(source, { name: 'external_bias' });
    const y = (await s.run({ x: { dtype: 'float32', dims: [n], data: x } })).y as HostTensor;
    await s.release();
    return Array.from(y.data as Float32Array);
  }

  it('stages the .onnx next to a hard link of the weight file and loads it from the path', async () => {
    const weights = join(dir, 'user-model', 'unet.safetensors');
    await mkdir(join(dir, 'user-model'));
    const offset = await writeWeights(weights, b);
    const bytes = externalBiasModel('unet/diffusion_pytorch_model.safetensors', offset, n);
    const cache = join(dir, 'cache');
    const src = await stageModel(bytes, [{ location: 'unet/diffusion_pytorch_model.safetensors', path: weights }], cache);
    assert.ok(src.onnxPath, 'staged to a path');
    const linked = await stat(join(src.onnxPath, '..', 'unet', 'diffusion_pytorch_model.safetensors'));
    assert.equal(linked.ino, (await stat(weights)).ino, 'a hard link, not a copy');
    assert.deepEqual(await runBias(src), want);
    // Staging again reuses the folder.
    assert.equal((await stageModel(bytes, [{ location: 'unet/diffusion_pytorch_model.safetensors', path: weights }], cache)).onnxPath, src.onnxPath);
  });

  it('falls back to bytes plus a worker-read file when a hard link is impossible (another device)', async (t) => {
    const shm = '/dev/shm';
    const devs = await Promise.all([stat(shm).catch(() => undefined), stat(dir)]);
    if (!devs[0] || devs[0].dev === devs[1].dev) return t.skip('needs /dev/shm on a different file system than the temp dir');
    const weights = join(shm, `rt-stage-${process.pid}.safetensors`);
    try {
      const offset = await writeWeights(weights, b);
      const bytes = externalBiasModel('w.safetensors', offset, n);
      const src = await stageModel(bytes, [{ location: 'w.safetensors', path: weights }], join(dir, 'cache2'));
      assert.equal(src.onnxPath, undefined);
      assert.deepEqual(src.externalData, [{ path: 'w.safetensors', file: weights }]);
      assert.deepEqual(await runBias(src), want);
    } finally {
      await rm(weights, { force: true });
    }
  });

  it('writes built blobs into the staged folder', async () => {
    const src = await stageModel(externalBiasModel('params.bin', 0, n), [{ location: 'params.bin', data: new Uint8Array(b.buffer) }], join(dir, 'cache3'));
    assert.ok(src.onnxPath);
    assert.deepEqual(await runBias(src), want);
  });

  it('a shared built file: written once per key, linked into the models that use it, counted once; a failed build leaves nothing', async () => {
    const cache = join(dir, 'cache4');
    let writes = 0;
    const write = async (path: string) => (writes++, await writeFile(path, Buffer.from(b.buffer)));
    const built = await stageBuilt(cache, 'params.bin', 'v1', b.byteLength, write);
    assert.equal(await stageBuilt(cache, 'params.bin', 'v1', b.byteLength, write), built);
    assert.equal(writes, 1, 'built once');
    const m1 = await stageModel(externalBiasModel('params.bin', 0, n), [{ location: 'params.bin', path: built }], cache);
    const m2 = await stageModel(externalBiasModel('params.bin', 0, n - 1), [{ location: 'params.bin', path: built }], cache);
    assert.notEqual(m2.onnxPath, m1.onnxPath);
    assert.deepEqual(await runBias(m1), want);
    assert.equal((await stat(join(m1.onnxPath!, '..', 'params.bin'))).ino, (await stat(built)).ino, 'linked, not copied');
    const sizes = new Map((await listEntries(cache)).map((e) => [basename(e.dir), e.ownBytes]));
    assert.equal(sizes.get(basename(dirname(built))), b.byteLength, 'the built entry counts its file');
    assert.equal([...sizes.values()].reduce((x, y) => x + y) - sizes.get(basename(dirname(built)))!, (await stat(m1.onnxPath!)).size + (await stat(m2.onnxPath!)).size, 'the models count only their own files');
    assert.notEqual(await stageBuilt(cache, 'params.bin', 'v2', b.byteLength, write), built, 'another key, another file');
    assert.equal(writes, 2);
    await assert.rejects(stageBuilt(cache, 'params.bin', 'v3', b.byteLength, async (path) => (await writeFile(path, 'partial'), assert.fail('disk full'))), /disk full/);
    const files = await readdir(cache, { recursive: true });
    assert.ok(!files.some((f) => tempOwner(basename(f)) !== undefined), `no partial file left: ${files}`);
    await stageBuilt(cache, 'params.bin', 'v3', b.byteLength, write);
    assert.equal(writes, 3, 'built afresh next time');
    // A file cut short on disk is built again; a build of the wrong size is refused.
    await truncate(built, 8);
    assert.equal(await stageBuilt(cache, 'params.bin', 'v1', b.byteLength, write), built);
    assert.equal([writes, (await stat(built)).size].join(), [4, b.byteLength].join());
    await assert.rejects(stageBuilt(cache, 'params.bin', 'v4', b.byteLength + 4, write), /built 28 bytes, expected 32/);
  });

  it('loads external data given as bytes', async () => {
    const bytes = externalBiasModel('w.bin', 3, n);
    const data = new Uint8Array(3 + 4 * n);
    data.set(new Uint8Array(b.buffer), 3); // unaligned on purpose
    assert.deepEqual(await runBias({ bytes, externalData: [{ path: 'w.bin', data }] }), want);
  });

  it('refuses locations outside the model folder', async () => {
    for (const location of ['../w.safetensors', '/etc/w.safetensors', 'a/../../w.safetensors', ''])
      await assert.rejects(stageModel(new Uint8Array(1), [{ location, path: '/dev/null' }], dir), /must be a relative path inside the model folder/);
  });

  it('names a missing weight file', async () => {
    await assert.rejects(stageModel(new Uint8Array(1), [{ location: 'w.safetensors', path: join(dir, 'nope.safetensors') }], dir), /nope\.safetensors .*ENOENT/);
  });
});
