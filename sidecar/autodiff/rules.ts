// One vector-Jacobian rule per primitive, in one table. A rule gets the node (its inputs and its
// own output value) and the gradient g of its output, and returns one thunk per input giving that
// input's gradient; the driver calls only the thunks of inputs that need a gradient (frozen weights
// cost nothing), and sums results back to each input's shape (so no rule handles broadcasting).
// The table's type lists every non-leaf op: adding an op without a rule fails the type check.
import * as op from '../graph/ops';
import type { Dim, OpType, Value } from '../graph/types';
import { multiHeadAttentionVjp } from './attention';
import { convInputGrad, convWeightGrad } from './conv';
import { instanceNormVjp } from './norm';

export type Thunk = () => Value;
/** `out`: the node's output value for the rule to read — `n` itself, or for a node whose output a
 *  recomputed region keeps from the forward pass (checkpoint.ts), that kept value: `n` then only
 *  carries the recomputed inputs and attributes. */
export type VjpRule<K extends OpType> = (n: Value<K>, g: Value, out: Value) => readonly (Thunk | null)[];
/** Ops that are deliberately not differentiable, with the reason shown in the error. */
export interface NoGradient { noGradient: string }
type Leaf = 'Input' | 'Param' | 'Constant';
export type RuleTable = { [K in Exclude<OpType, Leaf>]: VjpRule<K> | NoGradient };

const T = (x: Value) => op.Transpose(x, [...Array(x.rank - 2).keys(), x.rank - 1, x.rank - 2]); // swap last two axes
const [a0, a1] = [(n: Value) => n.input(0), (n: Value) => n.input(1)];

/** x^(p−1) for Pow's gradient. For a constant p = 2 (every norm's variance) that is x itself: ORT's Pow
 *  kernel takes std::pow for any exponent but 2 and 3, and Pow(x, 1) over a 512² transformer block's
 *  activations cost 22 ms, 48 times per SD 1.5 training step (pow(x, 1) is x exactly, so no bit changes). */
function powGradBase(n: Value<'Pow'>): Value {
  const p = a1(n);
  const c = p.op === 'Constant' ? (p as Value<'Constant'>).attrs.values : undefined;
  if (c && c.length === 1 && c[0] === 2) return a0(n);
  return op.Pow(a0(n), op.Sub(p, 1));
}

export const rules: RuleTable = {
  Add: (_, g) => [() => g, () => g],
  Sub: (_, g) => [() => g, () => op.Neg(g)],
  Mul: (n, g) => [() => op.Mul(g, a1(n)), () => op.Mul(g, a0(n))],
  Div: (n, g) => [() => op.Div(g, a1(n)), () => op.Neg(op.Div(op.Mul(g, n), a1(n)))],
  Pow: (n, g) => [() => op.Mul(op.Mul(g, a1(n)), powGradBase(n)), () => op.Mul(op.Mul(g, n), op.Log(a0(n)))],
  Min: { noGradient: 'Min is used by the optimizer only' },
  Max: { noGradient: 'Max is used by the optimizer only' },
  Equal: { noGradient: 'Equal is used by the optimizer only' },
  Where: { noGradient: 'Where is used by the optimizer only' },
  Neg: (_, g) => [() => op.Neg(g)],
  Exp: (n, g) => [() => op.Mul(g, n)],
  Log: (n, g) => [() => op.Div(g, a0(n))],
  Sqrt: (n, g) => [() => op.Div(g, op.Mul(n, 2))],
  Tanh: (n, g) => [() => op.Mul(g, op.Sub(1, op.Mul(n, n)))],
  Erf: (n, g) => [() => op.Mul(g, op.Mul(op.Exp(op.Neg(op.Mul(a0(n), a0(n)))), 2 / Math.sqrt(Math.PI)))],
  Sigmoid: (n, g) => [() => op.Mul(g, op.Mul(n, op.Sub(1, n)))],
  Sin: (n, g) => [() => op.Mul(g, op.Cos(a0(n)))],
  Cos: (n, g) => [() => op.Neg(op.Mul(g, op.Sin(a0(n))))],
  Cast: (n, g) => [() => op.Cast(g, a0(n).dtype)],
  MatMul: (n, g) => [() => op.MatMul(g, T(a1(n))), () => op.MatMul(T(a0(n)), g)],
  Conv: (n, g) => [
    () => convInputGrad(g, a1(n), a0(n).shape, n.attrs),
    () => convWeightGrad(a0(n), g, a1(n).shape, n.attrs),
    () => op.ReduceSum(g, [0, ...Array.from({ length: g.rank - 2 }, (_, i) => i + 2)], false),
  ],
  // ConvTranspose(x, w) is the adjoint of Conv(·, w): dx = Conv(g, w), dw = Conv's dW with roles swapped.
  ConvTranspose: (n, g) => [
    () => op.Conv(g, a1(n), undefined, n.attrs),
    () => convWeightGrad(g, a0(n), a1(n).shape, n.attrs),
  ],
  ReduceSum: (n, g) => [() => op.Expand(op.Reshape(g, keptShape(n)), a0(n).shape)],
  ReduceMean: (n, g) => [() => op.Expand(op.Reshape(op.Div(g, reducedCount(n)), keptShape(n)), a0(n).shape)],
  InstanceNormalization: (n, g) => instanceNormVjp(n, g),
  Softmax: (n, g) => [() => op.Mul(n, op.Sub(g, op.ReduceSum(op.Mul(g, n), [n.attrs.axis])))],
  // y = x − logΣexp(x): dx = g − softmax(x)·Σg, with softmax(x) = exp(y)
  LogSoftmax: (n, g) => [() => op.Sub(g, op.Mul(op.Exp(n), op.ReduceSum(g, [n.attrs.axis])))],
  Reshape: (n, g) => [() => op.Reshape(g, a0(n).shape)],
  Expand: (_, g) => [() => g], // the driver's sum-to-shape reduces over the expanded axes
  // Nearest upsampling repeats each element s times per axis: its gradient sums each block back.
  Resize: (n, g) => [
    () => {
      const x = a0(n);
      const split: Dim[] = [];
      const blockAxes: number[] = [];
      x.shape.forEach((d, i) => {
        split.push(d);
        if (n.attrs.scales[i]! > 1) blockAxes.push(split.push(n.attrs.scales[i]!) - 1);
      });
      return op.Reshape(op.ReduceSum(op.Reshape(g, split), blockAxes, false), x.shape);
    },
  ],
  Transpose: (n, g) => [() => op.Transpose(g, inversePerm(n.attrs.perm))],
  Concat: (n, g) => {
    let at = 0;
    return n.inputs.map((x) => {
      const start = at;
      at += x.shape[n.attrs.axis] as number;
      return () => op.Slice(g, [start], [start + (x.shape[n.attrs.axis] as number)], [n.attrs.axis]);
    });
  },
  Slice: (n, g) => [() => unslice(n, g)],
  // (Pad's builder checked that there are 2·rank pads)
  Pad: (n, g) => [() => op.Slice(g, n.attrs.pads.slice(0, n.rank), a0(n).shape.map((d, i) => n.attrs.pads[i]! + (d as number)))],
  Gather: (n, g) => [() => gatherGrad(n, g), null],
  ScatterND: { noGradient: 'ScatterND (add) is only emitted as the adjoint of Gather' },
  MultiHeadAttention: (n, g, out) => multiHeadAttentionVjp(n, g, out),
};

function keptShape(n: Value<'ReduceSum' | 'ReduceMean'>): Value['shape'] {
  return a0(n).shape.map((d, i) => (n.attrs.axes.includes(i) ? 1 : d));
}
/** How many elements each mean averaged; symbolic dims are counted at runtime (Σ of ones over them). */
function reducedCount(n: Value<'ReduceMean'>): Value | number {
  const dims = n.attrs.axes.map((i) => a0(n).dim(i));
  const fixed = dims.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
  const sym = dims.filter((d) => typeof d === 'string');
  if (sym.length === 0) return fixed;
  const ones = op.Expand(n.graph.scalar(1, n.dtype), sym);
  return op.Mul(op.ReduceSum(ones, sym.map((_, i) => i), false), fixed);
}
function inversePerm(p: number[]): number[] {
  const inv = Array<number>(p.length);
  p.forEach((v, i) => (inv[v] = i));
  return inv;
}

/** Scatters g back to where the slice read from: reverse negative steps, interleave zeros for
 *  steps > 1, then zero-pad before and after, one axis at a time. */
function unslice(n: Value<'Slice'>, g: Value): Value {
  const x = a0(n);
  let out = g;
  n.attrs.axes.forEach((ax, i) => {
    const dim = x.shape[ax] as number;
    const len = n.shape[ax] as number;
    // Slice's builder stores one start and one step per axis
    let step = n.attrs.steps[i]!;
    let first = n.attrs.starts[i]!;
    if (len === 0) throw new Error(`autodiff: gradient of empty slice ${n}`);
    if (step < 0) {
      out = op.Slice(out, [-1], [-(2 ** 31)], [ax], [-1]);
      first = first + step * (len - 1);
      step = -step;
    }
    if (step > 1) {
      const s = [...out.shape];
      const split = [...s.slice(0, ax + 1), 1, ...s.slice(ax + 1)];
      const pads = Array(2 * split.length).fill(0);
      pads[split.length + ax + 1] = step - 1;
      s[ax] = len * step;
      out = op.Slice(op.Reshape(op.Pad(op.Reshape(out, split), pads), s), [0], [(len - 1) * step + 1], [ax]);
    }
    const pads = Array(2 * out.rank).fill(0);
    pads[ax] = first;
    pads[out.rank + ax] = dim - first - ((len - 1) * step + 1);
    out = op.Pad(out, pads);
  });
  return out;
}

/** Embedding gradient: scatter-add g's rows into zeros shaped like the table (axis 0 only). */
function gatherGrad(n: Value<'Gather'>, g: Value): Value {
  const [data, idx] = [n.input(0), n.input(1)];
  if (n.attrs.axis !== 0) throw new Error(`autodiff: Gather gradient implemented for axis 0 only (node "${n.name}")`);
  // Summed in float32: ORT's CPU ScatterND has no float16 'add' (mixed precision embeds tokens in float16).
  const zeros = op.Expand(data.graph.scalar(0, 'float32'), data.shape);
  return op.Cast(op.ScatterNDAdd(zeros, op.Reshape(idx, [...idx.shape, 1]), op.Cast(g, 'float32')), data.dtype);
}
