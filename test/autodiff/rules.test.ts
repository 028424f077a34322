// One line per primitive VJP rule (and the composites built on them): finite differences in
// float64, then the emitted backward graph in ONNX Runtime. Shapes are random-ish and small.
import { test } from 'node:test';
import * as nn from '../../sidecar/graph/nn';
import * as op from '../../sidecar/graph/ops';
import type { Value } from '../../sidecar/graph/types';
import { type GradCase, gradCheck } from './gradcheck';

const ids = (shape: number[], v: number[]) => ({ dtype: 'int64' as const, arr: { shape, data: Float64Array.from(v) } });
const conv = (o: op.ConvOptions) => (x: Value, w: Value, b?: Value) => op.Conv(x, w, b, o);

const cases: Record<string, GradCase> = {
  'Add (broadcast)': { shapes: [[2, 3, 4], [3, 1]], build: (a, b) => op.Add(a, b) },
  'Sub (broadcast, rank)': { shapes: [[4], [2, 3, 4]], build: (a, b) => op.Sub(a, b) },
  'Mul (broadcast)': { shapes: [[2, 1, 4], [3, 1]], build: (a, b) => op.Mul(a, b) },
  'Div': { shapes: [[3, 4], [3, 4]], build: (a, b) => op.Div(a, b), positive: true },
  'Pow (both)': { shapes: [[3, 4], [4]], build: (a, b) => op.Pow(a, b), positive: true },
  'Pow by the constant 2 (a norm\'s variance)': { shapes: [[3, 4]], build: (a) => op.Pow(a, 2) },
  'Pow by the constant 3': { shapes: [[3, 4]], build: (a) => op.Pow(a, 3) },
  'Neg': { shapes: [[5]], build: (a) => op.Neg(a) },
  'Exp': { shapes: [[5]], build: (a) => op.Exp(a) },
  'Log': { shapes: [[5]], build: (a) => op.Log(a), positive: true },
  'Sqrt': { shapes: [[5]], build: (a) => op.Sqrt(a), positive: true },
  'Tanh': { shapes: [[6]], build: (a) => op.Tanh(a) },
  'Erf': { shapes: [[6]], build: (a) => op.Erf(a) },
  'Sigmoid': { shapes: [[6]], build: (a) => op.Sigmoid(a) },
  'Sin': { shapes: [[6]], build: (a) => op.Sin(a) },
  'Cos': { shapes: [[6]], build: (a) => op.Cos(a) },
  'Cast (f32→f64→f32)': { shapes: [[6]], build: (a) => op.Cast(op.Mul(op.Cast(a, 'float64'), op.Cast(a, 'float64')), 'float32') },
  'MatMul (batch broadcast)': { shapes: [[2, 1, 3, 4], [3, 4, 5]], build: (a, b) => op.MatMul(a, b) },
  'Conv 3×3 s1 p1 + bias (flipped-weight Conv dx)': { shapes: [[2, 3, 5, 5], [4, 3, 3, 3], [4]], build: conv({ pads: [1, 1, 1, 1] }) },
  'Conv 3×3 stride 2 (ConvTranspose dx)': { shapes: [[1, 2, 7, 6], [3, 2, 3, 3]], build: conv({ strides: [2, 2], pads: [1, 1, 1, 1] }) },
  'Conv stride 2 asymmetric pads (SD VAE downsample)': { shapes: [[1, 2, 6, 6], [2, 2, 3, 3]], build: conv({ strides: [2, 2], pads: [0, 0, 1, 1] }) },
  'Conv grouped': { shapes: [[2, 4, 5, 4], [6, 2, 3, 3]], build: conv({ group: 2, pads: [1, 1, 1, 1] }) },
  'Conv depthwise dilated': { shapes: [[1, 3, 7, 7], [3, 1, 3, 3]], build: conv({ group: 3, dilations: [2, 2], pads: [2, 2, 2, 2] }) },
  'Conv 1×1': { shapes: [[2, 3, 3, 4], [5, 3, 1, 1], [5]], build: conv({}) },
  'Conv 3×3 on 20×18, asymmetric pads (dx: flipped maps)': { shapes: [[1, 2, 20, 18], [3, 2, 3, 3]], build: conv({ pads: [1, 0, 1, 2] }) },
  'Conv grouped 1×1 on 20×18 (dx: transposed weights)': { shapes: [[1, 4, 20, 18], [2, 2, 1, 1]], build: conv({ group: 2 }) },
  'Conv 3×3 on 40×30 (dx: flipped weights)': { shapes: [[1, 2, 40, 30], [2, 2, 3, 3]], build: conv({ pads: [1, 1, 1, 1] }) },
  'Conv 2×2 stride 2 no pad': { shapes: [[1, 2, 6, 5], [3, 2, 2, 2]], build: conv({ strides: [2, 2] }) },
  'ConvTranspose stride 2 grouped': { shapes: [[1, 4, 3, 3], [4, 1, 3, 3]], build: (x, w) => op.ConvTranspose(x, w, { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1], group: 2 }) },
  'ReduceSum': { shapes: [[2, 3, 4]], build: (a) => op.ReduceSum(a, [0, 2], false) },
  'ReduceMean (keepdims)': { shapes: [[2, 3, 4]], build: (a) => op.ReduceMean(a, [1]) },
  'InstanceNormalization (x, scale, bias)': { shapes: [[2, 3, 4, 2], [3], [3]], build: (x, s, b) => op.InstanceNormalization(x, s, b, 1e-3) },
  'Softmax': { shapes: [[3, 5]], build: (a) => op.Softmax(a, 0) },
  'LogSoftmax': { shapes: [[3, 5]], build: (a) => op.LogSoftmax(a, -1) },
  'crossEntropy (one-hot targets)': { shapes: [[4, 3]], build: (a) => nn.crossEntropy(a, a.graph.constant([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1], 'float32', [4, 3])) },
  'Reshape': { shapes: [[2, 6]], build: (a) => op.Mul(op.Reshape(a, [3, 4]), op.Reshape(a, [3, 4])) },
  'Expand': { shapes: [[3, 1]], build: (a) => op.Expand(a, [2, 3, 4]) },
  'Resize': { shapes: [[2, 3, 2]], build: (a) => op.Resize(a, [1, 3, 2]) },
  'Transpose': { shapes: [[2, 3, 4]], build: (a) => op.Transpose(a, [2, 0, 1]) },
  'Concat': { shapes: [[2, 3], [2, 2]], build: (a, b) => op.Concat([a, b, a], 1) },
  'Slice (steps 2, -2, negative starts)': { shapes: [[7, 6]], build: (a) => op.Slice(a, [1, -1], [6, 0], [0, 1], [2, -2]) },
  'Slice (reverse)': { shapes: [[5]], build: (a) => op.Slice(a, [-1], [-(2 ** 31)], [0], [-1]) },
  'Pad': { shapes: [[2, 3]], build: (a) => op.Pad(a, [1, 0, 2, 3]) },
  'Gather (embedding, repeated ids)': { shapes: [[5, 3]], build: (t, i) => op.Gather(t, i, 0), extra: { ids: ids([2, 3], [4, 0, 4, 1, 4, 2]) } },
  // composites (no rules of their own)
  'linear': { shapes: [[2, 3, 4], [5, 4], [5]], build: (x, w, b) => nn.linearWith(x, w, b) },
  'groupNorm': { shapes: [[2, 4, 3, 3], [4], [4]], build: (x, w, b) => nn.groupNormWith(x, 2, w, b, 1e-5) },
  'layerNorm': { shapes: [[2, 3, 5], [5], [5]], build: (x, w, b) => nn.layerNormWith(x, w, b) },
  'gelu / geluTanh / quickGelu / silu': { shapes: [[8]], build: (x) => op.Add(op.Add(nn.gelu(x), nn.geluTanh(x)), op.Add(nn.quickGelu(x), nn.silu(x))) },
  'attention (chunked composite)': { shapes: [[1, 5, 4], [1, 3, 4], [1, 3, 4]], build: (q, k, v) => nn.attention(q, k, v, 2, { queryChunk: 2, fused: false }) },
  'attention (fused, q = k = v, symbolic batch)': { shapes: [[2, 5, 4]], symbolicBatch: true, build: (x) => nn.attention(x, x, x, 2, { queryChunk: 2, fused: true }) },
  'attention (fused MultiHeadAttention, k = v)': { shapes: [[2, 5, 4], [2, 3, 4]], build: (q, kv) => nn.attention(q, kv, kv, 2, { queryChunk: 2, fused: true }) },
  'symbolic batch: groupNorm + conv + mseLoss': { shapes: [[2, 4, 3, 3], [4, 4, 3, 3]], symbolicBatch: true, build: (x, w) => nn.mseLoss(nn.conv2dWith(nn.groupNormWith(x, 2, undefined, undefined), w, undefined, { padding: 1 }), x) },
  'upsampleNearest2x': { shapes: [[1, 2, 2, 3]], build: (x) => nn.upsampleNearest2x(x) },
};

for (const [name, c] of Object.entries(cases)) test(`gradient ${name}`, () => gradCheck(name, c));
