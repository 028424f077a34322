// The optimised-model cache (runtime/optimized-cache.ts) on a real training step of the tiny SD model:
// the first load saves ORT's optimised graph without a copy of the weights, the next loads it, and both
// compute exactly what a session optimised afresh computes; a damaged entry is rebuilt; the key follows
// what shapes the optimised graph. The relinking's refusals are driven with hand-made "saved" models.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { componentSource } from '../../sidecar/pipeline/components';
import { decodeModel, encodeModel, makeExternalTensor, makeNode, makeValueInfo } from '../../sidecar/onnx/builder';
import { createWithCache, optimizedKey } from '../../sidecar/runtime/optimized-cache';
import { relinkSavedModel } from '../../sidecar/runtime/optimized-model';
import { openRuntime, type HostTensor, type Runtime } from '../../sidecar/runtime/runtime';
import { ATTENTION_TARGETS } from '../../sidecar/training/lora';
import { buildTrainStep } from '../../sidecar/training/step-graph';
import { openCheckpoint } from '../../sidecar/weights/checkpoint';
import { f32ArrayToF16, readSafetensorsIndex, readTensorF32, writeSafetensors, type StWriteTensor } from '../../sidecar/weights/safetensors';
import { TINY, tinyFolder } from '../weights/layout-helpers';
import { lcg } from './models';

const UNET = 'unet/diffusion_pytorch_model.safetensors';

/** The tiny model with a float16 UNet, as the Hub's fp16 variants store SD (weights reach ORT through per-use Casts). */
async function tinyHalf(): Promise<string> {
  const dir = tinyFolder({ replace: { [UNET]: () => undefined } });
  const idx = await readSafetensorsIndex(join(TINY, UNET));
  const tensors: Record<string, StWriteTensor> = {};
  for (const name of idx.tensors.keys()) {
    const t = await readTensorF32(idx, name);
    tensors[name] = { dtype: 'F16', shape: t.shape, data: f32ArrayToF16(t.data) };
  }
  await writeSafetensors(join(dir, UNET), tensors);
  return dir;
}

/** A LoRA training step of a tiny model staged in `cacheDir`, and inputs for it. */
async function stagedStep(model: string, cacheDir: string): Promise<{ onnxPath: string; feeds: Record<string, HostTensor> }> {
  const ckpt = await openCheckpoint(model);
  const spec = buildTrainStep(ckpt.unet, { instanceBatch: 1, classBatch: 1, height: 8, width: 8, lora: { rank: 2, alpha: 2, targets: ATTENTION_TARGETS }, priorLossWeight: 1, adam: { maxGradNorm: 1 } });
  const source = await componentSource(spec.graph, ckpt.weights.unet, { cacheDir });
  assert.ok(source.onnxPath, 'staged beside a link of the weights');
  const fed = [...spec.graph.inputs, ...spec.graph.params.filter((p) => p.attrs.trainable)];
  const feeds = Object.fromEntries(
    fed.map((v, i) => {
      const dims = v.shape as number[];
      const data = lcg(dims.reduce((a, b) => a * b, 1), 100 + i).map((x) => 0.5 + 0.5 * x); // positive: a timestep, a learning rate
      return [v.name, { dtype: 'float32' as const, dims, data }];
    }),
  );
  return { onnxPath: source.onnxPath, feeds };
}

const LOAD = { name: 'train_step', weightsAsStored: true };

describe('optimised-model cache on the tiny SD training step', () => {
  let rt: Runtime;
  let dir: string;
  let onnxPath: string;
  let feeds: Record<string, HostTensor>;
  let fresh: Record<string, HostTensor>;

  const optimized = async () => (await readdir(join(onnxPath, '..'))).filter((n) => n.startsWith('optimized-')).sort();
  async function run(cacheOptimized: boolean): Promise<{ out: Record<string, HostTensor>; cache: unknown }> {
    const s = await rt.load({ onnxPath }, { ...LOAD, cacheOptimized });
    try {
      return { out: (await s.run(feeds)) as Record<string, HostTensor>, cache: s.optimizedCache };
    } finally {
      await s.release();
    }
  }

  before(async () => {
    rt = await openRuntime({ providers: ['cpu'] });
    dir = await mkdtemp(join(tmpdir(), 'rt-optimized-'));
    ({ onnxPath, feeds } = await stagedStep(await tinyHalf(), dir));
    fresh = (await run(false)).out;
  });
  after(async () => {
    await rt?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('saves the optimised graph on the first load and loads it on the next, computing the same bits', async () => {
    const first = await run(true);
    assert.equal(first.cache, 'saved');
    const names = await optimized();
    assert.equal(names.length, 1, `one optimised model: ${names.join(', ')}`);
    const second = await run(true);
    assert.equal(second.cache, 'hit');
    for (const r of [first, second])
      for (const [k, t] of Object.entries(fresh)) assert.deepEqual(r.out[k]!.data, t.data, `output ${k} differs from a freshly optimised session's`);
  });

  it('keeps no copy of the weights and no temporary file: the saved graph reads the weight link', async () => {
    const [name] = await optimized();
    assert.deepEqual((await readdir(join(onnxPath, '..'))).sort(), ['diffusion_pytorch_model.safetensors', 'model.onnx', name]);
    const saved = decodeModel(await readFile(join(onnxPath, '..', name!)));
    const locations = new Set(saved.graph.initializer!.flatMap((t) => (t.external_data ?? []).filter((e) => e.key === 'location').map((e) => e.value)));
    assert.deepEqual([...locations], ['diffusion_pytorch_model.safetensors']);
  });

  it('rebuilds a damaged entry instead of loading it', async () => {
    const [name] = await optimized();
    const path = join(onnxPath, '..', name!);
    const bytes = await readFile(path);
    const mid = bytes.length >> 1;
    bytes.writeUInt8(bytes.readUInt8(mid) ^ 0xff, mid);
    await writeFile(path, bytes);
    const r = await run(true);
    assert.equal(r.cache, 'saved');
    assert.deepEqual(await optimized(), [name], 'the same content saved again under its hash');
    for (const [k, t] of Object.entries(fresh)) assert.deepEqual(r.out[k]!.data, t.data, `output ${k}`);
  });

  it('rebuilds an entry that matches its hash but does not load, and removes what a killed save left', async () => {
    const [name] = await optimized();
    const garbage = Buffer.from('not an onnx model');
    const bad = `${name!.split('-').slice(0, 2).join('-')}-${createHash('sha256').update(garbage).digest('hex').slice(0, 16)}.onnx`;
    await rm(join(onnxPath, '..', name!));
    await writeFile(join(onnxPath, '..', bad), garbage);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    const leftover = join(onnxPath, '..', `optimized.data.tmp-${dead}-0badf00d`);
    await writeFile(leftover, 'half a weight copy');
    assert.equal((await run(true)).cache, 'saved');
    assert.deepEqual(await optimized(), [name]);
    await assert.rejects(stat(leftover), 'the dead save\'s temporary is removed');
  });

  it('does not cache a float32 model whose convolution weights ORT re-lays out, and remembers that', async () => {
    const step = await stagedStep(TINY, dir);
    const load = async () => {
      const s = await rt.load({ onnxPath: step.onnxPath }, { ...LOAD, cacheOptimized: true });
      await s.release();
      return s.optimizedCache;
    };
    const first = await load();
    assert.match((first as { uncached: string }).uncached, /was rewritten by the optimiser/);
    assert.deepEqual(await load(), first);
    assert.deepEqual((await readdir(join(step.onnxPath, '..'))).filter((n) => n.startsWith('optimized')).length, 1, 'only the refusal note');
  });

  it('keys the entry by what shapes the optimised graph, not by the thread count', () => {
    const base = { graphOptimizationLevel: 'all' as const, enableCpuMemArena: false };
    const key = optimizedKey('1.30.0', 'cpu', base);
    assert.equal(optimizedKey('1.30.0', 'cpu', { ...base, intraOpNumThreads: 7 }), key);
    assert.notEqual(optimizedKey('1.31.0', 'cpu', base), key);
    assert.notEqual(optimizedKey('1.30.0', 'cuda', base), key);
    assert.notEqual(optimizedKey('1.30.0', 'cpu', { ...base, enableCpuMemArena: true }), key);
    assert.notEqual(optimizedKey('1.30.0', 'cpu', { ...base, extra: { optimization: { disable_specified_optimizers: 'ConstantFolding' } } }), key);
  });
});

describe('relinking a saved model to the original weights', () => {
  // Original: w (4 floats) in weights.bin at 16; the "saved" model ORT would write has w in saved.bin at 0.
  const original = (dims = [4]) =>
    encodeModel({
      name: 'g',
      node: [makeNode('Add', ['x', 'wc'], ['y']), makeNode('Identity', ['w'], ['wc'])],
      initializer: [makeExternalTensor('w', 'float32', dims, 'weights.bin', 16, 16)],
      input: [makeValueInfo('x', 'float32', [4])],
      output: [makeValueInfo('y', 'float32', [4])],
    });
  const saved = (dims = [4], location = 'saved.bin') =>
    encodeModel({
      name: 'g',
      node: [makeNode('Add', ['x', 'wc'], ['y']), makeNode('Identity', ['w'], ['wc'])],
      initializer: [makeExternalTensor('w', 'float32', dims, location, 0, 16)],
      input: [makeValueInfo('x', 'float32', [4])],
      output: [makeValueInfo('y', 'float32', [4])],
    });

  it('points the initializer back at the original location and puts weight-only nodes first', () => {
    const r = relinkSavedModel(saved(), original(), 'saved.bin');
    assert.deepEqual(r.checks, [{ name: 'w', saved: { location: 'saved.bin', offset: 0, length: 16 }, original: { location: 'weights.bin', offset: 16, length: 16 } }]);
    const m = decodeModel(r.bytes);
    const ext = Object.fromEntries(m.graph.initializer![0]!.external_data!.map((e) => [e.key, e.value]));
    assert.deepEqual(ext, { location: 'weights.bin', offset: '16', length: '16' });
    assert.deepEqual(m.graph.node!.map((n) => n.op_type), ['Identity', 'Add']);
  });

  it('refuses an initializer the optimiser changed', () => {
    assert.throws(() => relinkSavedModel(saved([2, 2]), original(), 'saved.bin'), /"w" was rewritten by the optimiser/);
  });

  it('leaves nothing cached when the saved bytes differ from the original weights', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rt-relink-'));
    try {
      const onnxPath = join(dir, 'model.onnx');
      await writeFile(onnxPath, original());
      await writeFile(join(dir, 'weights.bin'), Buffer.alloc(32, 1));
      let saves = 0;
      const create = async (_path: string, opts: InferenceSession.SessionOptions) => {
        // Stands in for ORT: writes the saved model and its weight copy where the options say.
        if (!opts.optimizedModelFilePath) return 'session';
        saves++;
        const data = (opts.extra as { session: { optimized_model_external_initializers_file_name: string } }).session.optimized_model_external_initializers_file_name;
        await writeFile(opts.optimizedModelFilePath, saved([4], data));
        await writeFile(join(dir, data), Buffer.alloc(16, 2));
        return 'session';
      };
      const why = { uncached: 'initializer "w" differs from the original weights after optimisation' };
      const r = await createWithCache(onnxPath, {}, 'k', create);
      assert.equal(r.session, 'session');
      assert.deepEqual(r.cache, why);
      assert.deepEqual((await readdir(dir)).sort(), ['model.onnx', 'optimized-k.uncacheable', 'weights.bin']);
      assert.deepEqual((await createWithCache(onnxPath, {}, 'k', create)).cache, why, 'the refusal is remembered');
      assert.equal(saves, 1, 'and the copy is not written again');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
