// Composite layers run in ONNX Runtime (float32) against direct float64 formulas written here
// from the torch/diffusers definitions (not from our graph), so a wrong composition fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { grad } from '../../sidecar/autodiff/grad';
import { Graph } from '../../sidecar/graph/graph';
import * as op from '../../sidecar/graph/ops';
import * as nn from '../../sidecar/graph/nn';
import { type Arr, erf } from './reference-eval';
import { assertClose, randArr, rng, runOrt } from './helpers';

const arr = (shape: number[], f: (i: number) => number): Arr => ({ shape, data: Float64Array.from({ length: shape.reduce((a, d) => a * d, 1) }, (_, i) => f(i)) });
const each = (a: Arr, f: (v: number) => number): Arr => ({ shape: a.shape, data: a.data.map(f) });

test('linear: x Wᵀ + b with torch layout', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3, 4]);
  g.output(g.scope('proj', () => nn.linear(x, 'to_q', 5)), 'y');
  assert.deepEqual(g.params.map((p) => p.name), ['proj.to_q.weight', 'proj.to_q.bias']);
  const r = rng(1);
  const f = { x: randArr([2, 3, 4], r), 'proj.to_q.weight': randArr([5, 4], r), 'proj.to_q.bias': randArr([5], r) };
  const want = arr([2, 3, 5], (i) => {
    const [row, o] = [Math.floor(i / 5), i % 5];
    let s = f['proj.to_q.bias'].data[o]!;
    for (let k = 0; k < 4; k++) s += f.x.data[row * 4 + k]! * f['proj.to_q.weight'].data[o * 4 + k]!;
    return s;
  });
  assertClose((await runOrt(g, f)).y, want, 1e-5, 1e-5, 'linear');
});

function groupNormRef(x: Arr, groups: number, w: Arr, b: Arr, eps: number): Arr {
  const [n, c] = x.shape as [number, number]; // (then spatial axes)
  const hw = x.data.length / (n * c);
  const per = (c / groups) * hw;
  const out = new Float64Array(x.data.length);
  for (let s = 0; s < n * groups; s++) {
    const seg = x.data.subarray(s * per, (s + 1) * per);
    const mean = seg.reduce((a, v) => a + v, 0) / per;
    const vr = seg.reduce((a, v) => a + (v - mean) ** 2, 0) / per;
    for (let i = 0; i < per; i++) {
      const ch = (((s % groups) * per + i) / hw) | 0;
      out[s * per + i] = ((seg[i]! - mean) / Math.sqrt(vr + eps)) * w.data[ch]! + b.data[ch]!;
    }
  }
  return { shape: x.shape, data: out };
}

test('groupNorm matches torch.nn.GroupNorm (per-group stats, per-channel affine), symbolic batch', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', ['batch', 8, 3, 5]);
  g.output(nn.groupNorm(x, 'norm1', 4, { eps: 1e-6 }), 'y');
  const r = rng(2);
  const f = { x: randArr([2, 8, 3, 5], r, 3), 'norm1.weight': randArr([8], r), 'norm1.bias': randArr([8], r) };
  f.x.data = f.x.data.map((v) => v + 5); // a large mean tests the two-pass variance
  assertClose((await runOrt(g, f)).y, groupNormRef(f.x, 4, f['norm1.weight'], f['norm1.bias'], 1e-6), 1e-4, 1e-4, 'groupNorm');
});

test('layerNorm over the last axis', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [2, 3, 6]);
  g.output(nn.layerNorm(x, 'norm'), 'y');
  const r = rng(3);
  const f = { x: randArr([2, 3, 6], r), 'norm.weight': randArr([6], r), 'norm.bias': randArr([6], r) };
  const want = groupNormRef({ shape: [6, 1, 6], data: f.x.data }, 1, { shape: [1], data: new Float64Array([1]) }, { shape: [1], data: new Float64Array([0]) }, 1e-5);
  const y = each(want, (v) => v);
  y.data = y.data.map((v, i) => v * f['norm.weight'].data[i % 6]! + f['norm.bias'].data[i % 6]!);
  y.shape = [2, 3, 6];
  assertClose((await runOrt(g, f)).y, y, 1e-4, 1e-5, 'layerNorm');
});

test('activations: silu, gelu (erf), gelu (tanh), quick_gelu', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [40]);
  g.output(nn.silu(x), 'silu');
  g.output(nn.gelu(x), 'gelu');
  g.output(nn.geluTanh(x), 'gelu_tanh');
  g.output(nn.quickGelu(x), 'quick_gelu');
  const f = { x: randArr([40], rng(4), 3) };
  const out = await runOrt(g, f);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  assertClose(out.silu, each(f.x, (v) => v * sig(v)), 1e-5, 1e-6, 'silu');
  assertClose(out.gelu, each(f.x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), 1e-5, 1e-6, 'gelu');
  assertClose(out.gelu_tanh, each(f.x, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))), 1e-5, 1e-6, 'gelu tanh');
  assertClose(out.quick_gelu, each(f.x, (v) => v * sig(1.702 * v)), 1e-5, 1e-6, 'quick_gelu');
});

test('geglu: hidden · gelu(gate) with the projection split in (hidden, gate)', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 2, 3]);
  g.output(nn.geglu(x, 'proj', 4), 'y');
  const r = rng(5);
  const f = { x: randArr([1, 2, 3], r), 'proj.weight': randArr([8, 3], r), 'proj.bias': randArr([8], r) };
  const proj = (t: number, o: number) => f['proj.bias'].data[o]! + [0, 1, 2].reduce((s, k) => s + f.x.data[t * 3 + k]! * f['proj.weight'].data[o * 3 + k]!, 0);
  const want = arr([1, 2, 4], (i) => {
    const [t, o] = [Math.floor(i / 4), i % 4];
    const gate = proj(t, o + 4);
    return proj(t, o) * 0.5 * gate * (1 + erf(gate / Math.SQRT2));
  });
  assertClose((await runOrt(g, f)).y, want, 1e-5, 1e-5, 'geglu');
});

function attentionRef(q: Arr, k: Arr, v: Arr, heads: number): Arr {
  const [b, lq, hd] = q.shape as [number, number, number];
  const lk = k.shape[1]!;
  const d = hd / heads;
  const out = new Float64Array(b * lq * hd);
  for (let n = 0; n < b; n++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < lq; i++) {
        const s = Array.from({ length: lk }, (_, j) => {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += q.data[(n * lq + i) * hd + h * d + c]! * k.data[(n * lk + j) * hd + h * d + c]!;
          return dot / Math.sqrt(d);
        });
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, x) => a + x, 0);
        for (let c = 0; c < d; c++) out[(n * lq + i) * hd + h * d + c] = e.reduce((a, x, j) => a + (x / z) * v.data[(n * lk + j) * hd + h * d + c]!, 0);
      }
  return { shape: [b, lq, hd], data: out };
}

test('attention: multi-head, chunked over queries (uneven last chunk) equals unchunked softmax(qkᵀ/√d)v', async () => {
  for (const queryChunk of [3, 100]) {
    const g = new Graph();
    const q = g.input('q', 'float32', [2, 7, 8]);
    const k = g.input('k', 'float32', [2, 5, 8]);
    const v = g.input('v', 'float32', [2, 5, 8]);
    g.output(nn.attention(q, k, v, 2, { queryChunk }), 'y');
    const r = rng(6);
    const f = { q: randArr([2, 7, 8], r), k: randArr([2, 5, 8], r), v: randArr([2, 5, 8], r) };
    assertClose((await runOrt(g, f)).y, attentionRef(f.q, f.k, f.v, 2), 1e-5, 1e-5, `attention chunk ${queryChunk}`);
  }
});

test('attention { fused: true } (ORT MultiHeadAttention) equals the reference, and its gradient the composite\'s', async () => {
  const g = new Graph();
  const q = g.input('q', 'float32', [2, 7, 8]);
  const kv = g.input('kv', 'float32', [2, 5, 8]);
  const y = nn.attention(q, kv, kv, 2, { fused: true, queryChunk: 3 });
  g.output(y, 'y');
  const r = rng(9);
  const f = { q: randArr([2, 7, 8], r), kv: randArr([2, 5, 8], r) };
  const out = await runOrt(g, f);
  assertClose(out.y, attentionRef(f.q, f.kv, f.kv, 2), 1e-5, 1e-5, 'fused attention');
  const h = new Graph();
  const [q2, kv2] = [h.input('q', 'float32', [2, 7, 8]), h.input('kv', 'float32', [2, 5, 8])];
  const loss = (fused: boolean) => op.ReduceSum(op.Mul(op.Sin(nn.attention(q2, kv2, kv2, 2, { fused, queryChunk: 3 })), q2), [0, 1, 2], false);
  [...grad(loss(true), [q2, kv2]), ...grad(loss(false), [q2, kv2])].forEach((d, i) => h.output(d, `d${i}`));
  assert.equal(h.values.filter((x) => x.op === 'MultiHeadAttention').length, 1);
  const d = await runOrt(h, f);
  assertClose(d.d0, d.d2!, 1e-5, 1e-6, 'dq fused vs composite');
  assertClose(d.d1, d.d3!, 1e-5, 1e-6, 'dkv fused vs composite');
});

test('fused attention: large score blocks get a backward chunk of their own per layer, small ones the plain one', () => {
  const g = new Graph();
  const chunks = (lq: number, lk: number, heads: number) => {
    const q = g.input(`q${lq}_${g.inputs.length}`, 'float32', [2, lq, 8 * heads]);
    const k = g.input(`k${lk}_${g.inputs.length}`, 'float32', [2, lk, 8 * heads]);
    return (nn.attention(q, k, k, heads, { fused: true }) as ReturnType<typeof op.MultiHeadAttention>).attrs.query_chunk;
  };
  // SD 1.5 at 64×64: 4096 tokens, 8 heads, batch 2 → 2^24 / (2·8·4096) = 256 queries per chunk.
  const big = [chunks(4096, 4096, 8), chunks(4096, 4096, 8), chunks(4096, 4096, 8)];
  assert.deepEqual(big, [256, 248, 240]);
  assert.equal(chunks(4096, 77, 8), 4096, 'the first layer with 77 keys takes every query at once');
  assert.equal(chunks(4096, 77, 8), 4088, 'the next one a few rows fewer (another shape)');
  // Small blocks (a tiny model) keep one shape: the planner's reuse costs nothing there.
  assert.deepEqual([chunks(64, 64, 2), chunks(64, 64, 2)], [64, 64]);
});

test('upsampleNearest2x repeats each pixel in a 2×2 block', async () => {
  const g = new Graph();
  const x = g.input('x', 'float32', [1, 2, 3, 2]);
  g.output(nn.upsampleNearest2x(x), 'y');
  const f = { x: randArr([1, 2, 3, 2], rng(7)) };
  const want = arr([1, 2, 6, 4], (i) => {
    const [c, y, xx] = [Math.floor(i / 24), Math.floor(i / 4) % 6, i % 4];
    return f.x.data[c * 6 + Math.floor(y / 2) * 2 + Math.floor(xx / 2)]!;
  });
  assertClose((await runOrt(g, f)).y, want, 1e-7, 0, 'upsample');
});

test('timestepEmbedding follows diffusers get_timestep_embedding (flip_sin_to_cos, downscale_freq_shift)', async () => {
  for (const [flip, shift, dim] of [[true, 0, 8], [false, 1, 9]] as const) {
    const g = new Graph();
    const t = g.input('t', 'float32', [3]);
    g.output(nn.timestepEmbedding(t, dim, { flipSinToCos: flip, downscaleFreqShift: shift }), 'y');
    const f = { t: { shape: [3], data: Float64Array.from([1, 500.5, 999]) } };
    const half = Math.floor(dim / 2);
    const want = arr([3, dim], (i) => {
      const [n, j] = [Math.floor(i / dim), i % dim];
      if (j >= 2 * half) return 0;
      const k = j % half;
      const a = f.t.data[n]! * Math.exp((-Math.log(10000) * k) / (half - shift));
      const first = j < half;
      return first !== flip ? Math.sin(a) : Math.cos(a);
    });
    // float32 arguments up to ~1000 rad: absolute error ~1e-4 is the float32 resolution there
    assertClose((await runOrt(g, f)).y, want, 0, 2e-4, `timestep flip=${flip} shift=${shift}`);
  }
});

test('embedding gathers rows of weight; mseLoss is the mean squared error', async () => {
  const g = new Graph();
  const ids = g.input('ids', 'int64', [1, 4]);
  const e = nn.embedding(ids, 'token_embedding', 6, 3);
  g.output(e, 'e');
  g.output(nn.mseLoss(e, g.scalar(0.5, 'float32')), 'loss');
  const w = randArr([6, 3], rng(8));
  const out = await runOrt(g, { ids: { shape: [1, 4], data: Float64Array.from([5, 0, 2, 5]) }, 'token_embedding.weight': w });
  const want = arr([1, 4, 3], (i) => w.data[[5, 0, 2, 5][Math.floor(i / 3)]! * 3 + (i % 3)]!);
  assertClose(out.e, want, 1e-7, 0, 'embedding');
  assertClose(out.loss, { shape: [], data: Float64Array.from([want.data.reduce((a, v) => a + (v - 0.5) ** 2, 0) / 12]) }, 1e-6, 0, 'mse');
});
