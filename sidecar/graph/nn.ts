// Composite layers built from the primitives in ops.ts; they need no gradient rules of their own.
// Layers that own weights take the module name and declare `<scope>.<name>.weight` / `.bias`
// exactly as the diffusers/transformers checkpoints name them. Functional variants (`*With`)
// take the weights as values, for LoRA, weight sharing or tests.
import type { Graph } from './graph';
import * as op from './ops';
import type { Dim, Value } from './types';

const SQRT2 = Math.SQRT2;

/** Values carry the GraphLike view (ops need no more); layers that declare weights need the Graph. */
const graphOf = (x: Value) => x.graph as Graph;
function scoped<T>(x: Value, name: string, fn: () => T): T {
  return graphOf(x).scope(name, fn);
}
function param(x: Value, local: string, shape: number[]): Value {
  return graphOf(x).param(local, x.dtype, shape);
}
/** Elementwise composites are recomputed in the backward pass from their input (graph.checkpoint):
 *  an exact GELU keeps four activation-sized intermediates for its gradient otherwise, a LayerNorm
 *  three — together most of a transformer block's training memory — for the price of a few cheap
 *  elementwise ops. No effect on inference graphs. */
const recomputed = (fn: (x: Value) => Value) => (x: Value) => graphOf(x).checkpoint(() => fn(x));

// ── linear layers ────────────────────────────────────────────────────────────────────────────────

/** y = x Wᵀ + b with W [out, in] (torch.nn.Linear layout). */
export function linearWith(x: Value, w: Value, b?: Value): Value {
  const y = op.MatMul(x, op.Transpose(w, [1, 0]));
  return b ? op.Add(y, b) : y;
}
export function linear(x: Value, name: string, outFeatures: number, opts: { bias?: boolean } = {}): Value {
  const inF = x.shape[x.rank - 1] as number;
  return scoped(x, name, () => linearWith(x, param(x, 'weight', [outFeatures, inF]), opts.bias === false ? undefined : param(x, 'bias', [outFeatures])));
}

export interface Conv2dOptions {
  kernel: number;
  stride?: number;
  padding?: number;
  groups?: number;
  bias?: boolean;
}
export function conv2dWith(x: Value, w: Value, b: Value | undefined, o: { stride?: number; padding?: number; groups?: number } = {}): Value {
  const p = o.padding ?? 0;
  const s = o.stride ?? 1;
  return op.Conv(x, w, b, { strides: [s, s], pads: [p, p, p, p], group: o.groups ?? 1 });
}
export function conv2d(x: Value, name: string, outChannels: number, o: Conv2dOptions): Value {
  const c = x.shape[1] as number;
  const k = o.kernel;
  return scoped(x, name, () =>
    conv2dWith(x, param(x, 'weight', [outChannels, c / (o.groups ?? 1), k, k]), o.bias === false ? undefined : param(x, 'bias', [outChannels]), o),
  );
}

// ── normalisation ────────────────────────────────────────────────────────────────────────────────

/** (x - mean) / sqrt(var + eps) over `axes` (biased variance, two-pass for accuracy). Written as
 *  ReduceMean → Sub → Pow 2 → ReduceMean → Add → Sqrt → Div, the pattern ORT's LayerNorm fusion
 *  recognises, so inference graphs get the fused kernel while autodiff sees plain primitives. */
export function standardize(x: Value, axes: number[], eps: number): Value {
  return recomputed((x) => {
    const d = op.Sub(x, op.ReduceMean(x, axes));
    return op.Div(d, op.Sqrt(op.Add(op.ReduceMean(op.Pow(d, 2), axes), eps)));
  })(x);
}

export function layerNormWith(x: Value, w: Value | undefined, b: Value | undefined, eps = 1e-5): Value {
  let y = standardize(x, [-1], eps);
  if (w) y = op.Mul(y, w);
  return b ? op.Add(y, b) : y;
}
export function layerNorm(x: Value, name: string, opts: { eps?: number; affine?: boolean } = {}): Value {
  const c = x.shape[x.rank - 1] as number;
  const affine = opts.affine !== false;
  return scoped(x, name, () => layerNormWith(x, affine ? param(x, 'weight', [c]) : undefined, affine ? param(x, 'bias', [c]) : undefined, opts.eps ?? 1e-5));
}

/** torch.nn.GroupNorm on [N, C, ...]: statistics per (sample, group), affine per channel.
 *  Reshape to [N, G, C/G·…] → InstanceNormalization (unit scale) → reshape → per-channel affine.
 *  Not ONNX GroupNormalization: its scale/bias meaning changed at opset 21 (per-group before) and
 *  ORT's CPU kernel is a function expansion. InstanceNormalization is ORT's fused kernel (2–3×
 *  faster than composed statistics on CPU); other dtypes use the composed statistics. */
export function groupNormWith(x: Value, groups: number, w: Value | undefined, b: Value | undefined, eps = 1e-5): Value {
  const c = x.shape[1] as number;
  if (c % groups !== 0) throw new Error(`groupNorm: ${c} channels not divisible by ${groups} groups (${x.name})`);
  const grouped = op.Reshape(x, [0, groups, -1]);
  const normed =
    x.dtype === 'float32'
      ? op.InstanceNormalization(grouped, x.graph.constant(new Array(groups).fill(1), x.dtype, [groups], 'ones'), x.graph.constant(new Array(groups).fill(0), x.dtype, [groups], 'zeros'), eps)
      : standardize(grouped, [2], eps);
  const y = op.Reshape(normed, x.shape.map((d, i) => (i === 0 ? 0 : d)));
  const bshape = [c, ...Array(x.rank - 2).fill(1)];
  let out = w ? op.Mul(y, op.Reshape(w, bshape)) : y;
  if (b) out = op.Add(out, op.Reshape(b, bshape));
  return out;
}
export function groupNorm(x: Value, name: string, groups: number, opts: { eps?: number; affine?: boolean } = {}): Value {
  const c = x.shape[1] as number;
  const affine = opts.affine !== false;
  return scoped(x, name, () => groupNormWith(x, groups, affine ? param(x, 'weight', [c]) : undefined, affine ? param(x, 'bias', [c]) : undefined, opts.eps ?? 1e-5));
}

// ── activations ──────────────────────────────────────────────────────────────────────────────────

export const silu = (x: Value) => op.Mul(x, op.Sigmoid(x));
/** Exact GELU, in the Div → Erf → Add → Mul → Mul order ORT's Gelu fusion matches. */
export const gelu = recomputed((x) => op.Mul(op.Mul(x, op.Add(op.Erf(op.Div(x, SQRT2)), 1)), 0.5));
/** GELU, tanh approximation (torch approximate='tanh'). */
export const geluTanh = (x: Value) =>
  op.Mul(op.Mul(x, 0.5), op.Add(op.Tanh(op.Mul(op.Add(x, op.Mul(op.Pow(x, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
/** CLIP's quick_gelu: x·σ(1.702x). */
export const quickGelu = recomputed((x) => op.Mul(x, op.Sigmoid(op.Mul(x, 1.702))));
export const softmax = (x: Value, axis = -1) => op.Softmax(x, axis);

/** diffusers GEGLU: proj to 2·inner, split in (hidden, gate), hidden · gelu(gate). */
export function geglu(x: Value, name: string, inner: number): Value {
  const hg = linear(x, name, 2 * inner);
  return gatedGelu(op.Slice(hg, [0], [inner], [-1]), op.Slice(hg, [inner], [2 * inner], [-1]));
}

/** h · gelu(gate), recomputed in the backward pass: only h and gate are kept for the gradient. */
export function gatedGelu(h: Value, gate: Value): Value {
  return graphOf(h).checkpoint(() => op.Mul(h, gelu(gate)));
}

// ── layout helpers ───────────────────────────────────────────────────────────────────────────────

/** One slice per size along `axis` (a tuple for a tuple of sizes). */
export function split<const S extends readonly number[]>(x: Value, sizes: S, axis: number): { -readonly [K in keyof S]: Value } {
  let at = 0;
  return sizes.map((n) => op.Slice(x, [at], [(at += n)], [axis])) as { -readonly [K in keyof S]: Value };
}
export function chunk(x: Value, n: number, axis: number): Value[] {
  const a = axis < 0 ? axis + x.rank : axis;
  const size = x.shape[a] as number;
  if (size % n !== 0) throw new Error(`chunk: axis ${axis} of ${x} is not divisible by ${n}`);
  return split(x, Array(n).fill(size / n), a);
}

/** Nearest-neighbour 2× upsampling of [N, C, H, W] (F.interpolate(scale_factor=2, mode='nearest')): one
 *  Resize, 6× faster on ORT's CPU than the reshape → Expand → reshape it replaces (SD's VAE decoder at
 *  512²: 0.27 s of Expand a decode). */
export function upsampleNearest2x(x: Value): Value {
  return op.Resize(x, [1, 1, 2, 2]);
}

// ── attention ────────────────────────────────────────────────────────────────────────────────────

export interface AttentionOptions {
  /** Queries per chunk; default keeps each score block ≤ maxScoreElements. */
  queryChunk?: number;
  maxScoreElements?: number;
  /** Use ORT's fused MultiHeadAttention kernel (com.microsoft; CPU, CUDA and WebGPU have it):
   *  1.5–2.5× faster forward at 4096 tokens on CPU, no score matrix; the backward recomputes
   *  through the composite. Default off (opt in per model; the CPU kernel takes float32). */
  fused?: boolean;
  /** Training (default true; no effect on forward-only graphs): recompute each chunk's scores in the
   *  backward pass (gradient checkpointing per chunk), so only q, k, v stay alive between forward
   *  and backward instead of every chunk's softmax (B·H·Lq·Lk floats: 1 GiB per SD 64×64
   *  self-attention layer at batch 2). Measured at 4096 tokens × 320, 8 heads: peak memory of
   *  forward + backward 0.53 GiB instead of 1.35 GiB, and no slower (less memory traffic). */
  recompute?: boolean;
}

/** The fused kernel's backward chunk: the plain one (`chunk` queries, ≤ maxScores scores per block of
 *  `heads` = B·H rows) and, where a score block is large, 8 queries fewer for each earlier attention of
 *  the graph with as many keys, so that no two layers' blocks have equal shapes. ONNX Runtime's planner
 *  lends a freed buffer only to a later value of the identical shape, and holds it idle until then:
 *  with equal shapes, the last up-block's score blocks stayed allocated through the rest of the
 *  backward until the first down-block reused them (SD 1.5 LoRA step at 512²: peak −330 MiB, same speed). */
function fusedQueryChunk(q: Value, lk: number, heads: number, chunk: number): number {
  if (heads * chunk * lk < 2 ** 22) return chunk;
  const earlier = graphOf(q).values.filter((v) => v.op === 'MultiHeadAttention' && v.inputs[1]?.shape[1] === lk).length;
  return Math.max(Math.ceil(chunk / 2), chunk - 8 * earlier);
}

/** Multi-head scaled dot-product attention. q [B, Lq, H·d], k/v [B, Lk, H·d] → [B, Lq, H·d].
 *  Chunked over queries so the [B, H, Lq, Lk] score matrix is never materialised whole (at SD
 *  64×64 it is 512 MiB per batch item); each chunk's softmax is exact, so chunking is lossless. */
export function attention(q: Value, k: Value, v: Value, heads: number, o: AttentionOptions = {}): Value {
  const [, lq, hd] = q.shape as [Dim, number, number];
  const lk = k.shape[1] as number;
  if (hd % heads !== 0) throw new Error(`attention: width ${hd} not divisible by ${heads} heads`);
  const d = hd / heads;
  const b = typeof q.shape[0] === 'number' ? q.shape[0] : 1;
  // The fused kernel's forward keeps no scores; the chunk is its backward's (autodiff/attention.ts), where
  // a chunk holds two score blocks: 2^24 elements each took the SD 1.5 LoRA step's peak 0.23 GiB lower
  // than 2^25, for a somewhat slower dk, dv (their inner dimension is the chunk's query count).
  const maxScores = o.maxScoreElements ?? (o.fused ? 2 ** 24 : 2 ** 25);
  const chunkSize = o.queryChunk ?? Math.max(1, Math.floor(maxScores / (b * heads * lk)));
  if (o.fused) return op.MultiHeadAttention(q, k, v, heads, o.queryChunk ?? fusedQueryChunk(q, lk, b * heads, Math.min(lq, chunkSize)));
  const split = (x: Value, l: number, perm: number[]) => op.Transpose(op.Reshape(x, [0, l, heads, d]), perm);
  const qh = op.Mul(split(q, lq, [0, 2, 1, 3]), 1 / Math.sqrt(d)); // scale q (Lq·d) rather than scores (Lq·Lk)
  const kt = split(k, lk, [0, 2, 3, 1]); // [B, H, d, Lk]
  const vh = split(v, lk, [0, 2, 1, 3]); // [B, H, Lk, d]
  const outs: Value[] = [];
  for (let s = 0; s < lq; s += chunkSize) {
    const qc = chunkSize >= lq ? qh : op.Slice(qh, [s], [Math.min(lq, s + chunkSize)], [2]);
    const chunk = () => op.MatMul(op.Softmax(op.MatMul(qc, kt), -1), vh);
    outs.push(o.recompute !== false ? graphOf(q).checkpoint(chunk) : chunk());
  }
  return op.Reshape(op.Transpose(op.Concat(outs, 2), [0, 2, 1, 3]), [0, lq, hd]);
}

// ── embeddings ───────────────────────────────────────────────────────────────────────────────────

/** Frequencies of diffusers' get_timestep_embedding, computed in float32 steps as torch does. */
export function timestepFrequencies(dim: number, downscaleFreqShift: number, maxPeriod = 10000): Float32Array {
  const half = Math.floor(dim / 2);
  const f = new Float32Array(half);
  const c = Math.fround(-Math.log(maxPeriod));
  for (let i = 0; i < half; i++) f[i] = Math.exp(Math.fround(Math.fround(c * i) / (half - downscaleFreqShift)));
  return f;
}

/** Sinusoidal timestep embedding (diffusers get_timestep_embedding): t [B] float → [B, dim]. */
export function timestepEmbedding(t: Value, dim: number, o: { flipSinToCos: boolean; downscaleFreqShift: number; scale?: number; maxPeriod?: number }): Value {
  const half = Math.floor(dim / 2);
  const freqs = t.graph.constant(timestepFrequencies(dim, o.downscaleFreqShift, o.maxPeriod), t.dtype, [1, half], 'timestep_freqs');
  let arg = op.Mul(op.Reshape(t, [0, 1]), freqs);
  if (o.scale !== undefined && o.scale !== 1) arg = op.Mul(arg, o.scale);
  const parts = o.flipSinToCos ? [op.Cos(arg), op.Sin(arg)] : [op.Sin(arg), op.Cos(arg)];
  let emb = op.Concat(parts, 1);
  if (dim % 2 === 1) emb = op.Pad(emb, [0, 0, 0, 1]);
  return emb;
}

export function embedding(ids: Value, name: string, num: number, dim: number, dtype: Value['dtype'] = 'float32'): Value {
  const g = graphOf(ids);
  return g.scope(name, () => op.Gather(g.param('weight', dtype, [num, dim]), ids, 0));
}

// ── losses ───────────────────────────────────────────────────────────────────────────────────────

/** Mean squared error over all elements (torch F.mse_loss, reduction='mean'). */
/** Mean over the batch of −Σ target·log softmax(logits) over the last axis (targets: one-hot or
 *  class probabilities, like torch's cross_entropy with probability targets). */
export function crossEntropy(logits: Value, target: Value): Value {
  const perItem = op.ReduceSum(op.Mul(op.LogSoftmax(logits, -1), target), [logits.rank - 1], false);
  return op.Neg(op.ReduceMean(perItem, perItem.shape.map((_, i) => i), false));
}

export function mseLoss(a: Value, b: Value): Value {
  const d = op.Sub(a, b);
  return op.ReduceMean(op.Mul(d, d), a.shape.map((_, i) => i), false);
}
