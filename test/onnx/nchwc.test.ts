// Blocked-layout convolutions (onnx/nchwc.ts): which filters qualify, the filter layout checked against
// ORT's own blocked Conv kernel (a wrong layout gives other numbers, not an error), and the emitted nodes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Graph } from '../../sidecar/graph/graph';
import * as op from '../../sidecar/graph/ops';
import { decodeModel } from '../../sidecar/onnx/builder';
import { emitModel, type WeightSource } from '../../sidecar/onnx/emit';
import { blockableFilters, blockFilter, NCHWC_DOMAIN } from '../../sidecar/onnx/nchwc';
import { toHalfBits } from '../../sidecar/onnx/values';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { randArr, rng } from '../graph/helpers';

/** x [1,16,6,6] through: a 3×3 Conv 16→32 (stride 1), a strided 1×1 Conv 32→16, a grouped Conv, a Conv
 *  whose filter the ConvTranspose also reads, and a Conv with 8 output channels. */
function convNet() {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 16, 6, 6]);
  const w = (name: string, shape: number[], trainable = false) => g.param(name, 'float32', shape, { trainable });
  const a = op.Conv(x, w('a.weight', [32, 16, 3, 3]), w('a.bias', [32]), { pads: [1, 1, 1, 1] });
  const b = op.Conv(a, w('b.weight', [16, 32, 1, 1]), undefined, { strides: [2, 2] });
  const grouped = op.Conv(x, w('grouped.weight', [16, 8, 3, 3]), undefined, { pads: [1, 1, 1, 1], group: 2 });
  const shared = w('shared.weight', [16, 16, 1, 1]);
  const back = op.ConvTranspose(op.Conv(grouped, shared), shared);
  const eight = op.Conv(x, w('eight.weight', [8, 16, 1, 1]));
  const trained = op.Conv(x, w('trained.weight', [16, 16, 1, 1], true));
  g.output(b, 'b');
  g.output(back, 'back');
  g.output(eight, 'eight');
  g.output(trained, 'trained');
  return g;
}

const names = (g: Graph, block: number) => blockableFilters(g, block).map((p) => p.name);

it('blockable: frozen 4-d filters of ungrouped Convs only, channels in whole blocks', () => {
  const g = convNet();
  assert.deepEqual(names(g, 16), ['a.weight', 'b.weight']);
  assert.deepEqual(names(g, 8), ['a.weight', 'b.weight', 'eight.weight']);
  assert.deepEqual(names(g, 0), [], 'no blocked kernels: nothing');
});

it('blockFilter refuses channels that are not whole blocks and a wrong length', () => {
  assert.throws(() => blockFilter(new Uint16Array(8 * 16), [8, 16, 1, 1], 16), /not multiples of 16/);
  assert.throws(() => blockFilter(new Uint16Array(5), [16, 16, 1, 1], 16), /5 elements/);
});

describe('on the CPU provider', () => {
  let rt: Runtime;
  before(async () => {
    rt = await openRuntime({ providers: ['cpu'], threads: 1 });
  });
  after(() => rt.close());

  it('reports MLAS’s block size', () => {
    assert.ok([0, 8, 16].includes(rt.nchwcBlock), `block ${rt.nchwcBlock}`);
  });

  it('blocked float16 filters in ORT’s blocked Conv give the plain Convs’ outputs', async (t) => {
    const block = rt.nchwcBlock;
    if (!block) return t.skip('this CPU/ORT has no blocked-layout Conv kernels');
    const g = convNet();
    const r = rng(5);
    const half = new Map(g.params.map((p) => [p.name, Uint16Array.from(randArr(p.shape as number[], r, 0.3).data, toHalfBits)]));
    const blocked = new Set(names(g, block));
    /** The inner [Bi][Bo] tile transposed: the layout a reorder with its lanes swapped would write. */
    const swapLanes = (a: Uint16Array) => a.map((_, i) => a[i - (i % (block * block)) + (i % block) * block + Math.floor((i % (block * block)) / block)]!);
    const source = (asBlocked: boolean, wrong = false) => (name: string): WeightSource => {
      const bits = half.get(name)!;
      const p = g.params.find((q) => q.name === name)!;
      const data = asBlocked && blocked.has(name) ? blockFilter(bits, p.shape as number[], block) : bits;
      return { kind: 'bytes', data: new Uint8Array((wrong && asBlocked && blocked.has(name) ? swapLanes(data) : data).buffer), dtype: 'F16' };
    };
    const plain = emitModel(g, { weights: source(false), castPerUse: true });
    const fast = emitModel(g, { weights: source(true), castPerUse: true, blockedFilters: blocked });
    const feeds = {
      x: new ort.Tensor('float32', Float32Array.from(randArr([1, 16, 6, 6], r).data), [1, 16, 6, 6]),
      'trained.weight': new ort.Tensor('float32', Float32Array.from(randArr([16, 16, 1, 1], r).data), [16, 16, 1, 1]),
    };
    const run = async (bytes: Uint8Array) => (await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 })).run(feeds);
    const [want, got] = [await run(plain.bytes), await run(fast.bytes)];
    const maxDiff = (out: string, r2: ort.InferenceSession.ReturnType) => {
      assert.deepEqual(r2[out]!.dims, want[out]!.dims, out);
      const [w, o] = [want[out]!.data as Float32Array, r2[out]!.data as Float32Array];
      return Math.max(...Array.from(w, (v, i) => Math.abs(v - o[i]!)));
    };
    for (const out of ['b', 'back', 'eight', 'trained']) assert.ok(maxDiff(out, got) < 1e-5, `${out}: max |Δ| ${maxDiff(out, got)}`);
    // The comparison can tell a wrong layout: the lanes swapped give other numbers.
    const wrong = await run(emitModel(g, { weights: source(true, true), castPerUse: true, blockedFilters: blocked }).bytes);
    assert.ok(maxDiff('b', wrong) > 1e-2, `a wrong layout differs: ${maxDiff('b', wrong)}`);
    const model = decodeModel(fast.bytes);
    assert.equal(model.graph.node.filter((n) => n.domain === NCHWC_DOMAIN && n.op_type === 'Conv').length, blocked.size);
  });
});

it('emits ReorderInput → blocked Conv → ReorderOutput under the Conv’s own name, and refuses a blocked filter read by another op', () => {
  const g = convNet();
  const bytes = (name: string): WeightSource => {
    const p = g.params.find((q) => q.name === name)!;
    return { kind: 'bytes', data: new Uint8Array(2 * p.shape.reduce<number>((n, d) => n * (d as number), 1)), dtype: 'F16' };
  };
  const m = decodeModel(emitModel(g, { weights: bytes, castPerUse: true, blockedFilters: new Set(['a.weight']) }).bytes);
  const blockedConv = m.graph.node.find((n) => n.domain === NCHWC_DOMAIN && n.op_type === 'Conv')!;
  const before = m.graph.node.find((n) => n.output[0] === blockedConv.input[0])!;
  const afterNode = m.graph.node.find((n) => n.input[0] === blockedConv.output[0])!;
  assert.equal(before.op_type, 'ReorderInput');
  assert.equal(afterNode.op_type, 'ReorderOutput');
  assert.deepEqual(afterNode.attribute.find((a) => a.name === 'channels')?.i, 32);
  assert.ok(m.graph.node.some((n) => n.input.includes(afterNode.output[0]!)), 'consumers read the reordered output');
  assert.ok((m as unknown as { opset_import: { domain?: string }[] }).opset_import.some((o) => o.domain === NCHWC_DOMAIN));
  assert.throws(() => emitModel(g, { weights: bytes, castPerUse: true, blockedFilters: new Set(['shared.weight']) }), /ConvTranspose.*reads the blocked filter "shared\.weight"/);
});
