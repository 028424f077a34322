// Gradient checking: the backward graph evaluated in float64 must match central finite
// differences of the forward graph (float64 reference evaluator), and the same backward graph run
// in ONNX Runtime (float32) must match the float64 gradients.
import { grad } from '../../sidecar/autodiff/grad';
import { Graph } from '../../sidecar/graph/graph';
import * as op from '../../sidecar/graph/ops';
import { type Arr, evaluate } from '../graph/reference-eval';
import type { Value } from '../../sidecar/graph/types';
import { assertClose, randArr, rng, runOrt } from '../graph/helpers';

export interface GradCase {
  shapes: number[][];
  build: (...xs: Value[]) => Value;
  /** positive inputs (log, sqrt, pow) */
  positive?: boolean;
  /** extra non-differentiated inputs, e.g. indices */
  extra?: Record<string, { dtype: 'int64'; arr: Arr }>;
  seed?: number;
  /** declare dim 0 of the first input as the symbolic 'batch' */
  symbolicBatch?: boolean;
}

export async function gradCheck(name: string, c: GradCase): Promise<void> {
  const g = new Graph();
  const r = rng(c.seed ?? name.length * 131 + 7);
  const xs = c.shapes.map((s, i) => g.input(`x${i}`, 'float32', i === 0 && c.symbolicBatch ? ['batch', ...s.slice(1)] : s));
  const extras = Object.entries(c.extra ?? {}).map(([k, v]) => g.input(k, v.dtype, v.arr.shape));
  const y = c.build(...xs, ...extras);
  // loss = Σ y·w with random w, so every output element gets a distinct seed
  // (with a symbolic batch, Σ y·sin(y) instead: constants need static shapes)
  const w = c.symbolicBatch ? op.Sin(y) : g.constant(randArr(y.shape as number[], r).data, 'float32', y.shape, 'loss_weights');
  const loss = op.ReduceSum(op.Mul(y, w), y.shape.map((_, i) => i), false);
  const grads = grad(loss, xs);
  grads.forEach((gr, i) => g.output(gr, `grad${i}`));
  const feeds: Record<string, Arr> = {};
  c.shapes.forEach((s, i) => {
    const a = randArr(s, r);
    if (c.positive) a.data = a.data.map((v) => Math.abs(v) + 0.5);
    feeds[`x${i}`] = a;
  });
  for (const [k, v] of Object.entries(c.extra ?? {})) feeds[k] = v.arr;

  const analytic = evaluate(grads, feeds);
  const h = 1e-5;
  const f = (fd: Record<string, Arr>) => evaluate([loss], fd)[0].data[0]!;
  xs.forEach((_, i) => {
    const x = feeds[`x${i}`]!;
    const n = x.data.length;
    const picks = n <= 24 ? [...Array(n).keys()] : Array.from({ length: 24 }, (_, k) => Math.floor((k * n) / 24 + (k % 3) * 0.3 * (n / 24)));
    const scale = Math.max(1, ...analytic[i]!.data.map(Math.abs));
    for (const j of picks) {
      const plus = Float64Array.from(x.data);
      const minus = Float64Array.from(x.data);
      plus[j]! += h;
      minus[j]! -= h;
      const fdv = (f({ ...feeds, [`x${i}`]: { shape: x.shape, data: plus } }) - f({ ...feeds, [`x${i}`]: { shape: x.shape, data: minus } })) / (2 * h);
      const err = Math.abs(fdv - analytic[i]!.data[j]!) / scale;
      if (!(err < 1e-6)) throw new Error(`${name}: d loss/d x${i}[${j}] is ${analytic[i]!.data[j]}, finite difference ${fdv} (rel err ${err.toExponential(2)})`);
    }
  });
  const out = await runOrt(g, feeds);
  analytic.forEach((a, i) => {
    const scale = Math.max(1e-3, ...a.data.map(Math.abs));
    assertClose(out[`grad${i}`]!, a, 0, 3e-5 * scale, `${name}: ORT float32 grad${i}`);
  });
}
