// ONNX emission: versions, names, initializers inline / as external data pointing into a
// .safetensors file in place (offset = 8 + headerLen + begin) / as a separate blob, F16 weights
// with float32 compute, trainable parameters as inputs, and the errors that name the problem.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Graph } from '../../sidecar/graph/graph';
import * as nn from '../../sidecar/graph/nn';
import * as op from '../../sidecar/graph/ops';
import { evaluate } from '../graph/reference-eval';
import { decodeModel, makeTensor } from '../../sidecar/onnx/builder';
import { emitModel, type WeightSource } from '../../sidecar/onnx/emit';
import { grad } from '../../sidecar/autodiff/grad';
import { encodeValues, toHalfBits } from '../../sidecar/onnx/values';
import { assertClose, randArr, rng } from '../graph/helpers';

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** A minimal safetensors writer (the format: u64 header length, JSON header, data). The header is
 *  deliberately given an odd length so tensor offsets are unaligned. */
function writeSafetensors(path: string, tensors: Record<string, { dtype: 'F32' | 'F16'; shape: number[]; bytes: Uint8Array }>) {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const [k, t] of Object.entries(tensors)) {
    header[k] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.bytes.byteLength] };
    at += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  if (json.length % 2 === 0) json += ' ';
  const out = Buffer.alloc(8 + json.length + at);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  out.write(json, 8, 'latin1');
  let o = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(t.bytes, o);
    o += t.bytes.byteLength;
  }
  writeFileSync(path, out);
  return { dataStart: 8 + json.length, header: header as Record<string, { data_offsets: [number, number] }> };
}

function convNet() {
  const g = new Graph('tiny');
  const x = g.input('sample', 'float32', [1, 2, 5, 5]);
  const y = g.scope('down_blocks.0', () => nn.conv2d(nn.silu(x), 'conv', 3, { kernel: 3, padding: 1, stride: 2 }));
  g.output(y, 'out');
  return { g, x, y };
}

test('emitted model: opset 21 / IR 10, initializers named like the weight keys, node names scoped', () => {
  const { g } = convNet();
  const w = (n: string) => ({ kind: 'bytes', data: new Uint8Array(n.endsWith('weight') ? 3 * 2 * 9 * 4 : 12), dtype: 'float32' }) as WeightSource;
  const m = decodeModel(emitModel(g, { weights: w }).bytes);
  assert.equal(m.ir_version, 10);
  assert.equal(m.opset_import[0]!.version, 21);
  assert.deepEqual(m.graph.initializer.map((t) => t.name).filter((n) => !n.includes('/')), ['down_blocks.0.conv.weight', 'down_blocks.0.conv.bias']);
  assert.ok(m.graph.node.some((n) => n.op_type === 'Conv' && n.name === 'down_blocks.0.conv.Conv'), m.graph.node.map((n) => n.name).join());
});

test('external data into a .safetensors in place (F16 on disk → Cast to float32), from a path and from bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emit-'));
  const r = rng(11);
  const w = randArr([3, 2, 3, 3], r);
  const b = randArr([3], r);
  const wBytes = encodeValues(w.data, 'float16');
  const st = writeSafetensors(join(dir, 'unet.safetensors'), {
    'down_blocks.0.conv.bias': { dtype: 'F32', shape: [3], bytes: encodeValues(b.data, 'float32') },
    'down_blocks.0.conv.weight': { dtype: 'F16', shape: [3, 2, 3, 3], bytes: wBytes },
  });
  const { g, y } = convNet();
  const emitted = emitModel(g, {
    modelDir: dir,
    weights: (name) => {
      const [begin, end] = st.header[name]!.data_offsets;
      return { kind: 'file', path: join(dir, 'unet.safetensors'), offset: st.dataStart + begin, length: end - begin, dtype: name.endsWith('weight') ? 'F16' : 'F32' };
    },
  });
  assert.deepEqual(emitted.externalFiles, [{ location: 'unet.safetensors', path: join(dir, 'unet.safetensors') }]);
  writeFileSync(join(dir, 'model.onnx'), emitted.bytes);
  const x = randArr([1, 2, 5, 5], r);
  const wHalf = { shape: w.shape, data: w.data.map((v) => halfToFloat(toHalfBits(v))) };
  const [want] = evaluate([y], { sample: x, 'down_blocks.0.conv.weight': wHalf, 'down_blocks.0.conv.bias': { shape: [3], data: b.data.map(Math.fround) } });
  const feeds = { sample: new ort.Tensor('float32', Float32Array.from(x.data), x.shape) };
  const fromPath = await ort.InferenceSession.create(join(dir, 'model.onnx'));
  const got1 = (await fromPath.run(feeds)).out!;
  assertClose({ shape: [...got1.dims], data: Float64Array.from(got1.data as Float32Array) }, want, 1e-5, 1e-5, 'from path');
  const fromBytes = await ort.InferenceSession.create(emitted.bytes, { externalData: [{ path: 'unet.safetensors', data: readFileSync(join(dir, 'unet.safetensors')) }] });
  const got2 = (await fromBytes.run(feeds)).out!;
  assertClose({ shape: [...got2.dims], data: Float64Array.from(got2.data as Float32Array) }, want, 1e-5, 1e-5, 'from bytes');
});

test('bytes sources gathered into one external blob', async () => {
  const { g, y } = convNet();
  const r = rng(12);
  const data = { 'down_blocks.0.conv.weight': randArr([3, 2, 3, 3], r), 'down_blocks.0.conv.bias': randArr([3], r) };
  const emitted = emitModel(g, { bytesLocation: 'weights.bin', weights: (n) => ({ kind: 'bytes', data: encodeValues(data[n as keyof typeof data].data, 'float32'), dtype: 'F32' }) });
  assert.equal(emitted.externalFiles.length, 1);
  assert.equal(emitted.externalFiles[0]!.data!.byteLength, (54 + 3) * 4);
  const s = await ort.InferenceSession.create(emitted.bytes, { externalData: [{ path: 'weights.bin', data: emitted.externalFiles[0]!.data! }] });
  const x = randArr([1, 2, 5, 5], r);
  const got = (await s.run({ sample: new ort.Tensor('float32', Float32Array.from(x.data), x.shape) })).out!;
  assertClose({ shape: [...got.dims], data: Float64Array.from(got.data as Float32Array) }, evaluate([y], { sample: x, ...data })[0], 1e-5, 1e-5, 'blob');
});

test('trainable parameters are graph inputs; frozen ones without bytes fail by name', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.param('lora.down', 'float32', [3, 3], { trainable: true });
  g.output(nn.linearWith(x, w), 'y');
  assert.deepEqual(emitModel(g).inputs.map((i) => i.name), ['x', 'lora.down']);
  const h = new Graph();
  h.output(h.param('frozen.weight', 'float32', [2]), 'y');
  assert.throws(() => emitModel(h), /frozen parameter "frozen.weight" needs bytes/);
});

test('errors name both numbers and the file', () => {
  assert.throws(() => makeTensor('w', 'float32', [2, 3], new Uint8Array(20)), /"w" has 20 bytes, but float32\[2,3\] needs 24/);
  const { g } = convNet();
  assert.throws(
    () => emitModel(g, { modelDir: '/tmp/models/a', weights: () => ({ kind: 'file', path: '/tmp/other/w.safetensors', offset: 8, length: 216, dtype: 'F32' }) }),
    /\/tmp\/other\/w.safetensors, outside the model folder \/tmp\/models\/a/,
  );
  assert.throws(() => emitModel(g, { weights: () => ({ kind: 'file', path: '/x/w.safetensors', offset: 8, length: 100, dtype: 'F32' }) }), /has 100 bytes, but float32\[3,2,3,3\] needs 216/);
});

test('float16 compute and BF16-on-disk weights (Cast inserted) run in ORT', async () => {
  const g = new Graph();
  const x = g.input('x', 'float16', [1, 2, 4, 4]);
  const y = nn.silu(nn.groupNorm(nn.conv2d(x, 'conv', 4, { kernel: 3, padding: 1 }), 'norm', 2));
  g.output(nn.attention(op.Reshape(op.Transpose(op.Reshape(y, [1, 4, 16]), [0, 2, 1]), [1, 16, 4]), op.Reshape(op.Transpose(op.Reshape(y, [1, 4, 16]), [0, 2, 1]), [1, 16, 4]), op.Reshape(op.Transpose(op.Reshape(y, [1, 4, 16]), [0, 2, 1]), [1, 16, 4]), 2), 'y');
  const r = rng(13);
  const params = Object.fromEntries(g.params.map((p) => [p.name, randArr(p.shape as number[], r, 0.5)]));
  const bf16 = (v: number) => {
    const b = new Float32Array([v]);
    const u = new Uint32Array(b.buffer);
    u[0] = (((u[0]! + 0x7fff + ((u[0]! >>> 16) & 1)) >>> 16) << 16) >>> 0;
    return b[0]!;
  };
  const emitted = emitModel(g, { weights: (n) => ({ kind: 'bytes', data: encodeValues(params[n]!.data, 'bfloat16'), dtype: 'BF16' }) });
  assert.ok(decodeModel(emitted.bytes).graph.node.some((n) => n.op_type === 'Cast' && n.input[0] === 'conv.weight'));
  const xv = randArr([1, 2, 4, 4], r);
  const half = (v: number) => halfToFloat(toHalfBits(v));
  const s = await ort.InferenceSession.create(emitted.bytes);
  const got = (await s.run({ x: new ort.Tensor('float16', Uint16Array.from(xv.data, toHalfBits), [1, 2, 4, 4]) })).y!;
  const want = evaluate([g.outputs[0]!.value], { x: { shape: xv.shape, data: xv.data.map(half) }, ...Object.fromEntries(Object.entries(params).map(([k, a]) => [k, { shape: a.shape, data: a.data.map((v) => half(bf16(v))) }])) })[0];
  assertClose({ shape: [...got.dims], data: Float64Array.from(got.data as Uint16Array, halfToFloat) }, want, 2e-2, 2e-2, 'float16 graph');
});

test('castPerUse: a float16 weight read by two nodes gets one Cast (and Transpose) per use, all ahead of the activations, and computes as the shared form', async () => {
  const g = new Graph('twice');
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.scope('lin', () => g.param('weight', 'float32', [3, 3]));
  const wt = op.Transpose(w, [1, 0]);
  g.output(op.MatMul(op.Sigmoid(op.MatMul(x, wt)), wt), 'y'); // the same Transpose(W) used twice, like forward and backward
  const r = rng(3);
  const wv = randArr([3, 3], r);
  const half = new Uint8Array(Uint16Array.from(wv.data, (v) => toHalfBits(v)).buffer);
  const src = (): WeightSource => ({ kind: 'bytes', data: half, dtype: 'F16' });
  const perUse = emitModel(g, { weights: src, castPerUse: true });
  const shared = emitModel(g, { weights: src });
  const nodes = decodeModel(perUse.bytes).graph.node;
  const casts = nodes.filter((n) => n.op_type === 'Cast');
  assert.equal(casts.length, 2, 'one Cast per consumer');
  assert.equal(nodes.filter((n) => n.op_type === 'Transpose').length, 2, 'the weight-only Transpose is per use too');
  const firstActivation = nodes.findIndex((n) => n.input.includes('x'));
  assert.ok(nodes.slice(0, firstActivation).every((n) => n.op_type === 'Cast' || n.op_type === 'Transpose'), 'weight nodes come first (low node indices: ORT runs them just in time)');
  assert.equal(decodeModel(shared.bytes).graph.node.filter((n) => n.op_type === 'Cast').length, 1);
  const xv = randArr([2, 3], r);
  const feeds = { x: new ort.Tensor('float32', Float32Array.from(xv.data), [2, 3]) };
  const disabled = { extra: { optimization: { disable_specified_optimizers: 'ConstantFolding;CommonSubexpressionElimination' } } };
  const a = (await (await ort.InferenceSession.create(perUse.bytes, disabled)).run(feeds)).y!.data as Float32Array;
  const b = (await (await ort.InferenceSession.create(shared.bytes)).run(feeds)).y!.data as Float32Array;
  assert.deepEqual([...a], [...b]);
});

test('castPerUse: a weight read by the backward pass is upcast in a shape of its own (ORT never lends it a forward upcast buffer), with the same values', async () => {
  const g = new Graph('passes');
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.scope('lin', () => g.param('weight', 'float32', [3, 3]));
  const h = op.MatMul(x, w);
  const [dx] = grad(op.ReduceSum(op.Mul(h, h), [0, 1], false), [x]); // dx reads w again, in the backward pass
  g.output(h, 'h');
  g.output(dx, 'dx');
  const r = rng(5);
  const wv = randArr([3, 3], r);
  const half = new Uint8Array(Uint16Array.from(wv.data, (v) => toHalfBits(v)).buffer);
  const src = (): WeightSource => ({ kind: 'bytes', data: half, dtype: 'F16' });
  const perUse = emitModel(g, { weights: src, castPerUse: true });
  const graph = decodeModel(perUse.bytes).graph;
  const castInputs = graph.node.filter((n) => n.op_type === 'Cast').map((n) => n.input[0]);
  assert.equal(castInputs.length, 2, 'one upcast per pass');
  assert.ok(castInputs.includes('lin.weight'), 'the forward upcast reads the weight as stored');
  const flat = graph.node.find((n) => n.op_type === 'Reshape' && n.input[0] === 'lin.weight');
  assert.ok(flat && castInputs.includes(flat.output[0]!), 'the backward upcast reads a flattened view of it');
  const xv = randArr([2, 3], r);
  const feeds = { x: new ort.Tensor('float32', Float32Array.from(xv.data), [2, 3]) };
  const got = await (await ort.InferenceSession.create(perUse.bytes)).run(feeds);
  const shared = await (await ort.InferenceSession.create(emitModel(g, { weights: src }).bytes)).run(feeds);
  assert.deepEqual([...(got.dx!.data as Float32Array)], [...(shared.dx!.data as Float32Array)]);
});

test('fuseTransposedMatMul: a MatMul reads a swapped-last-two Transpose in the kernel (FusedMatMul); a Transpose read elsewhere or moving other axes stays; the values are the unfused ones', async () => {
  const g = new Graph('fused');
  const x = g.input('x', 'float32', [2, 3, 4]);
  const w = g.scope('lin', () => g.param('weight', 'float32', [5, 4]));
  const h = op.MatMul(x, op.Transpose(w, [1, 0])); // a linear layer: x·Wᵀ
  const ht = op.Transpose(h, [0, 2, 1]);
  const sg = op.Sigmoid(ht); // reads ht too: ht's Transpose stays
  g.output(op.MatMul(ht, h), 'a'); // transA
  g.output(op.MatMul(sg, op.Transpose(sg, [0, 2, 1])), 'b'); // transB of an activation
  g.output(op.MatMul(op.Transpose(op.Reshape(h, [3, 2, 5]), [1, 0, 2]), w), 'moved'); // a batch axis moves: not fused
  const [dx] = grad(op.ReduceSum(op.Mul(h, h), [0, 1, 2], false), [x]); // the backward reads the weight again
  g.output(dx, 'dx');
  const r = rng(9);
  const wv = randArr([5, 4], r);
  const half = new Uint8Array(Uint16Array.from(wv.data, (v) => toHalfBits(v)).buffer);
  const src = (): WeightSource => ({ kind: 'bytes', data: half, dtype: 'F16' });
  const fused = decodeModel(emitModel(g, { weights: src, castPerUse: true, fuseTransposedMatMul: true }).bytes);
  const plain = decodeModel(emitModel(g, { weights: src, castPerUse: true }).bytes);
  const nodes = fused.graph.node;
  const producer = new Map(nodes.flatMap((n) => n.output.map((o) => [o, n] as const)));
  const flag = (n: (typeof nodes)[number], name: string) => n.attribute.find((a) => a.name === name)?.i ?? 0;
  const fusedNodes = nodes.filter((n) => n.op_type === 'FusedMatMul');
  assert.ok(fusedNodes.length >= 3 && fusedNodes.every((n) => n.domain === 'com.microsoft'));
  const linear = fusedNodes.find((n) => n.input[0] === 'x');
  assert.ok(linear && flag(linear, 'transB') === 1 && flag(linear, 'transA') === 0, 'x·Wᵀ is one FusedMatMul with transB');
  assert.equal(producer.get(linear.input[1]!)?.op_type, 'Cast', 'it reads the upcast weight itself, not a Transpose of it');
  assert.ok(fusedNodes.some((n) => flag(n, 'transA') === 1 && producer.get(n.input[0]!)?.output[0] === producer.get(n.input[1]!)?.output[0]), 'hᵀ·h reads h twice');
  const transposes = nodes.filter((n) => n.op_type === 'Transpose');
  const perm = (n: (typeof nodes)[number]) => n.attribute.find((a) => a.name === 'perm')?.ints;
  assert.equal(transposes.filter((n) => String(perm(n)) === '0,2,1').length, 1, 'only the Transpose the Sigmoid reads is emitted');
  const moved = transposes.find((n) => String(perm(n)) === '1,0,2');
  assert.ok(moved && nodes.some((n) => n.op_type === 'MatMul' && n.input[0] === moved.output[0]), 'a batch-moving Transpose feeds a plain MatMul');
  assert.ok(transposes.length < plain.graph.node.filter((n) => n.op_type === 'Transpose').length);
  // ORT with its optimisers off, so the unfused model really runs Transpose + MatMul.
  const xv = randArr([2, 3, 4], r);
  const feeds = { x: new ort.Tensor('float32', Float32Array.from(xv.data), [2, 3, 4]) };
  const run = async (bytes: Uint8Array) => (await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' })).run(feeds);
  const got = await run(emitModel(g, { weights: src, castPerUse: true, fuseTransposedMatMul: true }).bytes);
  const want = await run(emitModel(g, { weights: src, castPerUse: true }).bytes);
  const wHalf = { shape: [5, 4], data: Float64Array.from(Uint16Array.from(wv.data, (v) => toHalfBits(v)), halfToFloat) };
  const ref = evaluate(g.outputs.map((o) => o.value), { x: xv, 'lin.weight': wHalf });
  for (const [i, name] of ['a', 'b', 'moved', 'dx'].entries()) {
    const t = got[name]!;
    assertClose({ shape: [...t.dims], data: Float64Array.from(t.data as Float32Array) }, { shape: [...want[name]!.dims], data: Float64Array.from(want[name]!.data as Float32Array) }, 1e-6, 1e-6, `${name}: fused against unfused`);
    assertClose({ shape: [...t.dims], data: Float64Array.from(t.data as Float32Array) }, ref[i]!, 1e-5, 1e-5, `${name}: against the reference evaluator`);
  }
});
