// The driver: errors that name the op and node, no work for frozen weights, accumulation over
// several uses, and gradient checkpointing giving the same gradients as the plain backward.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../../sidecar/autodiff/grad';
import { reachable } from '../../sidecar/graph/reach';
import { Graph } from '../../sidecar/graph/graph';
import * as nn from '../../sidecar/graph/nn';
import * as op from '../../sidecar/graph/ops';
import { type Arr, evaluate } from '../graph/reference-eval';
import type { Value } from '../../sidecar/graph/types';
import { assertClose, randArr, rng, runOrt } from '../graph/helpers';

test('an op without a gradient fails with the op and node name', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [3]);
  const y = g.scope('clip', () => op.Max(x, 0));
  assert.throws(() => grad(op.ReduceSum(y, [0], false), [x]), /no gradient for Max node "clip.Max": Max is used by the optimizer only/);
});

test('frozen weights cost no weight-gradient work; unrelated targets get zeros', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 2, 5, 5]);
  const y = nn.conv2d(x, 'conv', 3, { kernel: 3, padding: 1 });
  const unrelated = g.input('u', 'float32', [2]);
  const before = g.values.length;
  const [gx, gu] = grad(op.ReduceSum(y, [0, 1, 2, 3], false), [x, unrelated]);
  const added = g.values.slice(before).map((v) => v.op);
  assert.ok(!added.includes('MatMul') && !added.includes('Pad'), `weight-gradient ops built: ${added.join(',')}`);
  assert.deepEqual(gx.shape, [1, 2, 5, 5]);
  g.output(gu, 'gu');
  assert.deepEqual([...evaluate([gu], { u: { shape: [2], data: new Float64Array(2) } })[0].data], [0, 0]);
});

test('a value used twice accumulates both contributions (d(x·x + x)/dx = 2x + 1)', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [4]);
  const [gx] = grad(op.ReduceSum(op.Add(op.Mul(x, x), x), [0], false), [x]);
  const xv = Float64Array.from([1, -2, 0.5, 3]);
  assert.deepEqual([...evaluate([gx], { x: { shape: [4], data: xv } })[0].data], [...xv.map((v) => 2 * v + 1)]);
});

test('attention { recompute: true } (a checkpoint per query chunk) gives the same gradients', async () => {
  const run = async (recompute: boolean) => {
    const g = new Graph();
    const input = (n: string) => g.input(n, 'float32', [2, 9, 8]);
    const [q, k, v] = [input('q'), input('k'), input('v')];
    const y = nn.attention(q, k, v, 2, { queryChunk: 4, recompute, fused: false });
    grad(op.ReduceSum(op.Mul(y, y), [0, 1, 2], false), [q, k, v]).forEach((d, i) => g.output(d, `d${i}`));
    assert.equal(g.values.filter((x) => x.name.includes('recompute.') && x.op === 'Softmax').length, recompute ? 3 : 0);
    const r = rng(5);
    return runOrt(g, { q: randArr([2, 9, 8], r), k: randArr([2, 9, 8], r), v: randArr([2, 9, 8], r) });
  };
  const [a, b] = [await run(false), await run(true)];
  for (const k of ['d0', 'd1', 'd2']) assertClose(b[k]!, a[k]!, 1e-6, 1e-9, k);
});

test('gradients of slices that tile an axis are concatenated, not padded and added', () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 9]);
  const [a, b, c] = nn.split(x, [2, 3, 4], 1);
  const sum = (t: Value) => op.ReduceSum(t, [0, 1], false);
  const loss = op.Add(sum(op.Mul(a, 2)), op.Add(sum(op.Mul(b, b)), sum(op.Sin(c))));
  const before = g.values.length;
  const [gx] = grad(loss, [x]);
  assert.equal(gx.op, 'Concat');
  const xv = Float64Array.from({ length: 18 }, (_, i) => i / 7 - 1);
  const want = xv.map((v, i) => (i % 9 < 2 ? 2 : i % 9 < 5 ? 2 * v : Math.cos(v)));
  assertClose(evaluate([gx], { x: { shape: [2, 9], data: xv } })[0], { shape: [2, 9], data: want }, 1e-12, 1e-12, 'dx');
  // the pieces' Pads are built but unused: nothing reachable from dx adds them up
  assert.ok(!g.values.slice(before).some((v) => v.op === 'Add' && v.inputs.every((i) => i.op === 'Pad')));
});

/** A resnet-like block; `ckpt` wraps the inner part in graph.checkpoint; `fused`: ORT's MultiHeadAttention. */
function block(ckpt: boolean, fused = false) {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 4, 6, 6]);
  const w1 = g.param('conv1.weight', 'float32', [4, 4, 3, 3], { trainable: true });
  const w2 = g.param('conv2.weight', 'float32', [4, 4, 3, 3], { trainable: true });
  const gn = g.param('norm.weight', 'float32', [4], { trainable: true });
  const inner = () => {
    const h = nn.silu(nn.groupNormWith(nn.conv2dWith(x, w1, undefined, { padding: 1 }), 2, gn, undefined));
    const q = op.Reshape(op.Transpose(op.Reshape(h, [0, 4, 36]), [0, 2, 1]), [0, 36, 4]);
    return op.Add(x, nn.conv2dWith(op.Reshape(op.Transpose(nn.attention(q, q, q, 2, { queryChunk: 16, recompute: false, fused }), [0, 2, 1]), [0, 4, 6, 6]), w2, undefined, { padding: 1 }));
  };
  const y = ckpt ? g.checkpoint(inner) : inner();
  const loss = nn.mseLoss(nn.silu(y), g.scalar(0.1, 'float32'));
  const grads = grad(loss, [x, w1, w2, gn]);
  g.output(loss, 'loss');
  grads.forEach((v, i) => g.output(v, `g${i}`));
  return g;
}

test('gradient checkpointing recomputes the region and gives identical gradients', async () => {
  const plain = block(false);
  const ckpt = block(true);
  assert.ok(ckpt.values.some((v) => v.name.includes('recompute.') && v.op === 'Conv'), 'no recomputed Conv in the backward');
  assert.ok(!plain.values.some((v) => v.name.includes('recompute.')));
  const r = rng(21);
  const feeds: Record<string, Arr> = { x: randArr([2, 4, 6, 6], r), 'conv1.weight': randArr([4, 4, 3, 3], r, 0.3), 'conv2.weight': randArr([4, 4, 3, 3], r, 0.3), 'norm.weight': randArr([4], r) };
  const a = await runOrt(plain, feeds);
  const b = await runOrt(ckpt, feeds);
  for (const k of ['loss', 'g0', 'g1', 'g2', 'g3']) assertClose(b[k]!, a[k]!, 1e-6, 1e-9, `checkpointed ${k}`);
  // and both are right: float64 reference of the checkpointed graph against the plain one
  const outs = (gr: Graph) => gr.outputs.map((o) => o.value);
  const ea = evaluate(outs(plain), feeds);
  evaluate(outs(ckpt), feeds).forEach((v, i) => assertClose(v, ea[i]!, 1e-12, 1e-14, `float64 output ${i}`));
  const dW1 = ea[2]!; // outputs: loss, g0, g1, …
  assertClose(a.g1, dW1, 0, 1e-4 * Math.max(...dW1.data.map(Math.abs)), 'ORT vs float64 dW1');
});

test('a checkpointed region keeps the fused attention output from the forward pass (not recomputed), with identical gradients', async () => {
  const plain = block(false, true);
  const ckpt = block(true, true);
  const reached = reachable(ckpt.outputs.map((o) => o.value));
  const attention = ckpt.values.filter((v) => v.op === 'MultiHeadAttention' && reached.has(v.id));
  assert.equal(attention.length, 1, 'one MultiHeadAttention runs: the forward one');
  assert.ok(ckpt.values.some((v) => v.name.includes('recompute.') && v.op === 'Conv' && reached.has(v.id)), 'the rest of the region is recomputed');
  const r = rng(22);
  const feeds: Record<string, Arr> = { x: randArr([2, 4, 6, 6], r), 'conv1.weight': randArr([4, 4, 3, 3], r, 0.3), 'conv2.weight': randArr([4, 4, 3, 3], r, 0.3), 'norm.weight': randArr([4], r) };
  const a = await runOrt(plain, feeds);
  const b = await runOrt(ckpt, feeds);
  for (const k of ['loss', 'g0', 'g1', 'g2', 'g3']) assertClose(b[k]!, a[k]!, 1e-6, 1e-9, `checkpointed ${k}`);
});

const LARGE_FAN_IN = [
  { what: 'a convolution of large fan-in (640·3·3)', op: 'Conv', x: [1, 640, 3, 3], w: [2, 640, 3, 3], apply: (x: Value, w: Value) => nn.conv2dWith(x, w, undefined, { padding: 1 }) },
  { what: 'a weight product of large inner dimension (768)', op: 'MatMul', x: [1, 3, 768], w: [2, 768], apply: (x: Value, w: Value) => nn.linearWith(x, w) },
] as const;

for (const c of LARGE_FAN_IN)
  test(`a checkpointed region keeps ${c.what} from the forward pass, with identical gradients`, async () => {
    const build = (ckpt: boolean) => {
      const g = new Graph();
      const x = g.input('x', 'float32', [...c.x]);
      const w = g.param('w', 'float32', [...c.w], { trainable: true });
      const inner = () => nn.silu(c.apply(nn.silu(x), w));
      const y = ckpt ? g.checkpoint(inner) : inner();
      const loss = nn.mseLoss(y, g.scalar(0.1, 'float32'));
      const grads = grad(loss, [x, w]);
      g.output(loss, 'loss');
      grads.forEach((v, i) => g.output(v, `g${i}`));
      return g;
    };
    const ckpt = build(true);
    const reached = reachable(ckpt.outputs.map((o) => o.value));
    assert.equal(ckpt.values.filter((v) => v.op === c.op && reached.has(v.id) && v.name.includes('recompute.')).length, 0, `the ${c.op} is not recomputed`);
    assert.ok(ckpt.values.some((v) => v.op === 'Sigmoid' && reached.has(v.id) && v.name.includes('recompute.')), 'the rest of the region is');
    const r = rng(23);
    const feeds: Record<string, Arr> = { x: randArr([...c.x], r), w: randArr([...c.w], r, 0.05) };
    const a = await runOrt(build(false), feeds);
    const b = await runOrt(ckpt, feeds);
    for (const k of ['loss', 'g0', 'g1']) assertClose(b[k]!, a[k]!, 1e-6, 1e-9, `checkpointed ${k}`);
  });
