// Primitive ops, one function per ONNX op with ONNX attribute names, each inferring its output
// shape. Every composite in nn.ts and every gradient rule is built from these, so emission is
// one-to-one and each primitive needs exactly one VJP rule.
import { broadcastShapes, convOut, normAxis, resolveReshape, sliceAxis, staticDim } from './shape';
import { type Dim, type DType, type OpAttrs, type Shape, Value, isFloat } from './types';

export type Operand = Value | number;

function lift(a: Operand, like: Value): Value {
  return typeof a === 'number' ? like.graph.scalar(a, like.dtype) : a;
}

/** An elementwise op of two operands (numpy broadcasting); the result has their dtype, bool for comparisons. */
function binary<K extends 'Add' | 'Sub' | 'Mul' | 'Div' | 'Pow' | 'Min' | 'Max' | 'Equal'>(op: K, a: Operand, b: Operand): Value<K> {
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: needs at least one tensor operand`);
  const x = typeof a === 'number' ? lift(a, b as Value) : a;
  const y = typeof b === 'number' ? lift(b, x) : b;
  if (x.dtype !== y.dtype) throw new Error(`${op}: dtype mismatch ${x} vs ${y}`);
  return x.graph.node(op, [x, y], {} as OpAttrs[K], op === 'Equal' ? 'bool' : x.dtype, broadcastShapes(x.shape, y.shape, op));
}

export const Add = (a: Operand, b: Operand) => binary('Add', a, b);
export const Sub = (a: Operand, b: Operand) => binary('Sub', a, b);
export const Mul = (a: Operand, b: Operand) => binary('Mul', a, b);
export const Div = (a: Operand, b: Operand) => binary('Div', a, b);
export const Pow = (a: Operand, b: Operand) => binary('Pow', a, b);
/** Min/Max have no gradient rule (used by the optimizer's clipping only). */
export const Min = (a: Operand, b: Operand) => binary('Min', a, b);
export const Max = (a: Operand, b: Operand) => binary('Max', a, b);

function unary<K extends 'Neg' | 'Exp' | 'Log' | 'Sqrt' | 'Tanh' | 'Erf' | 'Sigmoid' | 'Sin' | 'Cos'>(op: K, x: Value): Value<K> {
  return x.graph.node(op, [x], {} as OpAttrs[K], x.dtype, x.shape);
}
export const Neg = (x: Value) => unary('Neg', x);
export const Exp = (x: Value) => unary('Exp', x);
export const Log = (x: Value) => unary('Log', x);
export const Sqrt = (x: Value) => unary('Sqrt', x);
export const Tanh = (x: Value) => unary('Tanh', x);
export const Erf = (x: Value) => unary('Erf', x);
export const Sigmoid = (x: Value) => unary('Sigmoid', x);
export const Sin = (x: Value) => unary('Sin', x);
export const Cos = (x: Value) => unary('Cos', x);

export function Cast(x: Value, to: DType): Value {
  return x.dtype === to ? x : x.graph.node('Cast', [x], { to }, to, x.shape);
}

/** a == b elementwise (bool). No gradient rule: used after the backward pass (overflow checks). */
export const Equal = (a: Operand, b: Operand) => binary('Equal', a, b);

/** cond ? a : b elementwise (numpy broadcasting). No gradient rule, like Equal. */
export function Where(cond: Value, a: Value, b: Value): Value<'Where'> {
  if (cond.dtype !== 'bool') throw new Error(`Where: the condition must be bool, got ${cond}`);
  if (a.dtype !== b.dtype) throw new Error(`Where: dtype mismatch ${a} vs ${b}`);
  const shape = broadcastShapes(cond.shape, broadcastShapes(a.shape, b.shape, 'Where'), 'Where');
  return a.graph.node('Where', [cond, a, b], {}, a.dtype, shape);
}

/** Batched matrix product (numpy matmul); both operands rank ≥ 2. */
export function MatMul(a: Value, b: Value): Value<'MatMul'> {
  if (a.rank < 2 || b.rank < 2) throw new Error(`MatMul: operands need rank >= 2, got ${a} and ${b}`);
  if (a.dtype !== b.dtype) throw new Error(`MatMul: dtype mismatch ${a} vs ${b}`);
  const k1 = a.shape[a.rank - 1];
  const k2 = b.shape[b.rank - 2];
  if (k1 !== k2) throw new Error(`MatMul: inner dims differ: ${a} @ ${b}`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
  return a.graph.node('MatMul', [a, b], {}, a.dtype, [...batch, a.dim(-2), b.dim(-1)]);
}

export interface ConvOptions {
  strides?: number[];
  /** ONNX order: [begin_0, begin_1, ..., end_0, end_1, ...]. */
  pads?: number[];
  dilations?: number[];
  group?: number;
}

function convAttrs(spatial: number, o: ConvOptions) {
  return {
    strides: o.strides ?? Array(spatial).fill(1),
    pads: o.pads ?? Array(2 * spatial).fill(0),
    dilations: o.dilations ?? Array(spatial).fill(1),
    group: o.group ?? 1,
  };
}

/** Axis i's [stride, pad begin, pad end, dilation]; a short list in ConvOptions is an error naming the op. */
function convAxis(a: ReturnType<typeof convAttrs>, spatial: number, i: number, op: string): [number, number, number, number] {
  const [stride, begin, end, dilation] = [a.strides[i], a.pads[i], a.pads[spatial + i], a.dilations[i]];
  if (stride === undefined || begin === undefined || end === undefined || dilation === undefined) {
    throw new Error(`${op}: strides [${a.strides}], pads [${a.pads}] and dilations [${a.dilations}] must cover ${spatial} spatial axes`);
  }
  return [stride, begin, end, dilation];
}

/** N-d convolution, x [N, C, ...], w [O, C/group, ...k], optional bias [O]. */
export function Conv(x: Value, w: Value, bias?: Value, opts: ConvOptions = {}): Value<'Conv'> {
  const s = x.rank - 2;
  const a = convAttrs(s, opts);
  const c = staticDim(x.shape[1], 'Conv input channels');
  if (w.rank !== x.rank || staticDim(w.shape[1], 'Conv weight') * a.group !== c) {
    throw new Error(`Conv: weight ${w} does not match input ${x} with group ${a.group}`);
  }
  const spatial = x.shape.slice(2).map((d, i) =>
    convOut(staticDim(d, 'Conv spatial size'), staticDim(w.shape[2 + i], 'Conv kernel'), ...convAxis(a, s, i, 'Conv')),
  );
  return x.graph.node('Conv', bias ? [x, w, bias] : [x, w], a, x.dtype, [x.dim(0), w.dim(0), ...spatial]);
}

/** Transposed convolution (the adjoint of Conv), w [C, O/group, ...k]. */
export function ConvTranspose(x: Value, w: Value, opts: ConvOptions & { output_padding?: number[] } = {}): Value<'ConvTranspose'> {
  const s = x.rank - 2;
  const a = { ...convAttrs(s, opts), output_padding: opts.output_padding ?? Array(s).fill(0) };
  const spatial = x.shape.slice(2).map((d, i) => {
    const k = staticDim(w.shape[2 + i], 'ConvTranspose kernel');
    const [stride, begin, end, dilation] = convAxis(a, s, i, 'ConvTranspose');
    const outPad = a.output_padding[i];
    if (outPad === undefined) throw new Error(`ConvTranspose: output_padding [${a.output_padding}] must cover ${s} spatial axes`);
    return stride * (staticDim(d, 'ConvTranspose size') - 1) + outPad + dilation * (k - 1) + 1 - begin - end;
  });
  return x.graph.node('ConvTranspose', [x, w], a, x.dtype, [x.dim(0), staticDim(w.shape[1], 'ConvTranspose weight') * a.group, ...spatial]);
}

function reduce<K extends 'ReduceSum' | 'ReduceMean'>(op: K, x: Value, axes: number[], keepdims: boolean): Value<K> {
  const ax = [...new Set(axes.map((a) => normAxis(a, x.rank, op)))].sort((p, q) => p - q);
  if (ax.length === 0) return x as Value<K>; // (ONNX would reduce over all axes for empty axes)
  const shape = keepdims ? x.shape.map((d, i) => (ax.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !ax.includes(i));
  return x.graph.node(op, [x], { axes: ax, keepdims: keepdims ? 1 : 0 } as OpAttrs[K], x.dtype, shape);
}
export const ReduceSum = (x: Value, axes: number[], keepdims = true) => reduce('ReduceSum', x, axes, keepdims);
export const ReduceMean = (x: Value, axes: number[], keepdims = true) => reduce('ReduceMean', x, axes, keepdims);

/** Softmax is a primitive (not exp/sum) for its numerically stable, fused kernel. */
export function Softmax(x: Value, axis = -1): Value<'Softmax'> {
  return x.graph.node('Softmax', [x], { axis: normAxis(axis, x.rank, 'Softmax') }, x.dtype, x.shape);
}

/** log(softmax(x)) in one stable kernel: Log(Softmax) gives −∞ (and NaN gradients) once a
 *  probability underflows, which a confident classifier's cross-entropy reaches. */
export function LogSoftmax(x: Value, axis = -1): Value<'LogSoftmax'> {
  return x.graph.node('LogSoftmax', [x], { axis: normAxis(axis, x.rank, 'LogSoftmax') }, x.dtype, x.shape);
}

/** (x − mean) / √(var + ε) over the spatial axes of x [N, C, ...], then · scale[C] + bias[C].
 *  A primitive because the fused kernel is 2–3× faster on CPU than the composed statistics, and
 *  GroupNorm (the UNet's and VAE's most frequent layer) runs on it. */
export function InstanceNormalization(x: Value, scale: Value, bias: Value, epsilon = 1e-5): Value<'InstanceNormalization'> {
  if (x.rank < 3 || scale.rank !== 1 || bias.rank !== 1 || scale.shape[0] !== x.shape[1] || bias.shape[0] !== x.shape[1]) {
    throw new Error(`InstanceNormalization: needs x [N, C, ...] with scale and bias [C], got ${x}, ${scale}, ${bias}`);
  }
  return x.graph.node('InstanceNormalization', [x, scale, bias], { epsilon }, x.dtype, x.shape);
}

/** Reshape with ONNX's 0 (copy) and -1 (infer), resolved here to explicit dims. */
export function Reshape(x: Value, shape: readonly Dim[]): Value {
  const out = resolveReshape(x.shape, shape);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.node('Reshape', [x], { shape: out }, x.dtype, out);
}

/** Nearest-neighbour upsampling of x by a whole factor per axis (ONNX Resize, nearest; see OpAttrs). */
export function Resize(x: Value, scales: readonly number[]): Value {
  if (scales.length !== x.rank || scales.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`Resize: scales [${scales}] must be whole factors ≥ 1, one per axis of ${x}`);
  const out = x.shape.map((d, i) => (scales[i] === 1 ? d : staticDim(d, 'Resize axis') * scales[i]!));
  return x.graph.node('Resize', [x], { scales: [...scales] }, x.dtype, out);
}

export function Expand(x: Value, shape: readonly Dim[]): Value {
  const out = broadcastShapes(x.shape, shape, 'Expand');
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return x.graph.node('Expand', [x], { shape: out }, x.dtype, out);
}

export function Transpose(x: Value, perm: number[]): Value {
  if (perm.length !== x.rank || [...perm].sort().some((p, i) => p !== i)) throw new Error(`Transpose: bad perm [${perm}] for ${x}`);
  if (perm.every((p, i) => p === i)) return x;
  return x.graph.node('Transpose', [x], { perm }, x.dtype, perm.map((p) => x.dim(p)));
}

export function Concat(xs: readonly Value[], axis: number): Value {
  const [first] = xs;
  if (!first) throw new Error('Concat: no inputs');
  if (xs.length === 1) return first;
  const ax = normAxis(axis, first.rank, 'Concat');
  const shape: Dim[] = [...first.shape];
  shape[ax] = xs.reduce((n, x) => n + staticDim(x.shape[ax], 'Concat axis'), 0);
  for (const x of xs) {
    if (x.rank !== shape.length || x.dtype !== first.dtype || x.shape.some((d, i) => i !== ax && d !== shape[i])) {
      throw new Error(`Concat: ${x} does not match ${first} on axis ${ax}`);
    }
  }
  return first.graph.node('Concat', xs, { axis: ax }, first.dtype, shape);
}

/** Slice with ONNX semantics (negative indices, clamping, steps); the attrs are stored normalised. */
export function Slice(x: Value, starts: number[], ends: number[], axes?: number[], steps?: number[]): Value {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank, 'Slice'));
  const st = steps ?? ax.map(() => 1);
  const shape: Dim[] = [...x.shape];
  const ns: number[] = [];
  const ne: number[] = [];
  ax.forEach((a, i) => {
    const [start, end, step] = [starts[i], ends[i], st[i]];
    if (start === undefined || end === undefined || step === undefined) {
      throw new Error(`Slice: starts [${starts}], ends [${ends}] and steps [${st}] must each give axes [${ax}] a value`);
    }
    const r = sliceAxis(staticDim(x.shape[a], 'Slice axis'), start, end, step);
    shape[a] = r.len;
    ns.push(r.start);
    ne.push(step < 0 && r.end < 0 ? -(2 ** 31) : r.end);
  });
  if (shape.every((d, i) => d === x.shape[i]) && st.every((s) => s === 1)) return x;
  return x.graph.node('Slice', [x], { starts: ns, ends: ne, axes: ax, steps: st }, x.dtype, shape);
}

/** Constant zero padding, pads in ONNX order [begin..., end...]. */
export function Pad(x: Value, pads: number[]): Value {
  if (pads.length !== 2 * x.rank) throw new Error(`Pad: need ${2 * x.rank} pads for ${x}, got ${pads.length}`);
  if (pads.some((p) => p < 0)) throw new Error(`Pad: negative pads [${pads}] are not supported (use Slice)`);
  if (pads.every((p) => p === 0)) return x;
  // pads.length === 2·rank was checked above
  const shape = x.shape.map((d, i) => (pads[i] === 0 && pads[x.rank + i] === 0 ? d : staticDim(d, 'Pad axis') + pads[i]! + pads[x.rank + i]!));
  return x.graph.node('Pad', [x], { pads }, x.dtype, shape);
}

/** Gather along `axis` with int64 indices (embedding lookup with axis 0). */
export function Gather(data: Value, indices: Value, axis = 0): Value<'Gather'> {
  if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new Error(`Gather: indices must be int64/int32, got ${indices}`);
  const a = normAxis(axis, data.rank, 'Gather');
  return data.graph.node('Gather', [data, indices], { axis: a }, data.dtype, [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)]);
}

/** data with `updates` added at `indices` (duplicates accumulate): the adjoint of Gather. */
export function ScatterNDAdd(data: Value, indices: Value, updates: Value): Value<'ScatterND'> {
  return data.graph.node('ScatterND', [data, indices, updates], { reduction: 'add' }, data.dtype, data.shape);
}

/** ORT's fused attention kernel (com.microsoft, CPU/CUDA/WebGPU): softmax(q kᵀ/√d) v over
 *  q [B, Lq, H·d], k/v [B, Lk, H·d]. 1.5–2.5× faster than the composite at 4096 tokens on CPU and
 *  never materialises the scores. Its gradient differentiates the equivalent composite
 *  (autodiff/attention.ts). */
export function MultiHeadAttention(q: Value, k: Value, v: Value, numHeads: number, queryChunk = Infinity): Value<'MultiHeadAttention'> {
  if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3) throw new Error(`MultiHeadAttention: q, k, v must be [B, L, H·d], got ${q}, ${k}, ${v}`);
  return q.graph.node('MultiHeadAttention', [q, k, v], { num_heads: numHeads, query_chunk: queryChunk }, q.dtype, [q.dim(0), q.dim(1), v.dim(2)]);
}

export function assertFloat(x: Value, op: string): void {
  if (!isFloat(x.dtype)) throw new Error(`${op}: needs a floating-point tensor, got ${x}`);
}

export type { Shape };
