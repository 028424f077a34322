// AdamW as graph nodes, so one session run does forward + backward + update. Semantics of
// torch.optim.AdamW (amsgrad=False), optionally preceded by torch.nn.utils.clip_grad_norm_:
//
//   clip:  n = ‖(‖g_1‖, …, ‖g_k‖)‖₂;  g_i ← g_i · min(1, maxNorm / (n + 1e-6))
//   1. p ← p · (1 − lr·λ)                       decoupled weight decay
//   2. m ← m + (g − m)(1 − β₁)                  (torch's lerp_ form of β₁m + (1−β₁)g)
//   3. v ← β₂v + (1 − β₂)g²
//   4. p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
//
// lr and the step count t (1 for the first update) are graph inputs, so schedules need no rebuild.
// With a gate (a 0/1 scalar per parameter: gradient accumulation, a text encoder no longer trained) the
// update applies only when it is 1: p ← p + gate·(p' − p), likewise m and v, so a 0 leaves the state
// exactly as it was — torch's AdamW skipping a parameter whose grad is None. With `skipNonFinite` (mixed
// precision) a gradient that is not finite anywhere selects the old state outright (Where, so NaNs of the
// update never leak in): GradScaler's skipped optimizer.step(). The check reuses clipping's sum of squares.
// Moments are graph inputs and their updates graph outputs: the runtime feeds each step's outputs
// back as the next step's inputs (on the device, with IO binding).
import type { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import type { Value } from '../graph/types';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Clip the global gradient norm to this (torch clip_grad_norm_, norm_type 2). */
  maxGradNorm?: number;
}

export interface AdamWGraphOptions extends AdamWOptions {
  /** Per parameter, a scalar 0/1 value: apply its update (1) or pass its state through unchanged (0). */
  gates?: readonly (Value | undefined)[];
  /** Skip the whole update when any gradient is not finite (gradients that overflowed float16). */
  skipNonFinite?: boolean;
}

/** Graph input/output names of one parameter's update: feed `*Out` back into the input of the same kind. */
export interface AdamWSlot {
  param: string;
  paramOut: string;
  m: string;
  mOut: string;
  v: string;
  vOut: string;
}

export interface AdamWGraph {
  /** Input names of the scalar learning rate and step count. */
  lr: string;
  step: string;
  /** Output name of the global gradient norm before clipping (when clipping). */
  gradNorm?: string;
  /** With skipNonFinite: the bool scalar that says the update was made (every gradient finite). */
  finite?: Value;
  slots: AdamWSlot[];
}

/** Adds AdamW updates of `params` (trainable parameters or inputs) given their `grads`. */
export function adamw(graph: Graph, params: readonly Value[], grads: readonly Value[], o: AdamWGraphOptions = {}): AdamWGraph {
  const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = o;
  if (params.length !== grads.length) throw new Error(`adamw: ${params.length} parameters but ${grads.length} gradients`);
  const dtype = params[0]?.dtype ?? 'float32';
  const lr = graph.input('lr', dtype, []);
  const step = graph.input('step', dtype, []);
  return graph.scope('adamw', () => {
    let gs = grads;
    let gradNorm: string | undefined;
    const needSquares = o.maxGradNorm !== undefined || o.skipNonFinite;
    const squares = needSquares ? grads.map((g) => op.ReduceSum(op.Mul(g, g), g.shape.map((_, i) => i), false)).reduce<Value>((a, b) => op.Add(a, b), graph.scalar(0, dtype)) : undefined;
    // x − x is 0 exactly for a finite x, NaN for ±inf and NaN
    const finite = o.skipNonFinite && squares ? op.Equal(op.Sub(squares, squares), 0) : undefined;
    if (o.maxGradNorm !== undefined && squares) {
      const norm = op.Sqrt(squares);
      const coef = op.Min(op.Div(o.maxGradNorm, op.Add(norm, 1e-6)), 1);
      gs = grads.map((g) => op.Mul(g, coef));
      graph.output(norm, (gradNorm = 'grad_norm'));
    }
    const stepSize = op.Div(lr, op.Sub(1, op.Pow(graph.scalar(beta1, dtype), step)));
    const bc2Sqrt = op.Sqrt(op.Sub(1, op.Pow(graph.scalar(beta2, dtype), step)));
    const slots = params.map((p, i) => {
      const g = gs[i]!; // as many gradients as parameters (checked above)
      const m = graph.input(`${p.name}.adam_m`, dtype, p.shape);
      const v = graph.input(`${p.name}.adam_v`, dtype, p.shape);
      const decayed = weightDecay ? op.Mul(p, op.Sub(1, op.Mul(lr, weightDecay))) : p;
      const m2 = op.Add(m, op.Mul(op.Sub(g, m), 1 - beta1));
      const v2 = op.Add(op.Mul(v, beta2), op.Mul(op.Mul(g, g), 1 - beta2));
      const denom = op.Add(op.Div(op.Sqrt(v2), bc2Sqrt), eps);
      const p2 = op.Sub(decayed, op.Mul(stepSize, op.Div(m2, denom)));
      const slot: AdamWSlot = { param: p.name, paramOut: `${p.name}.updated`, m: m.name, mOut: `${m.name}.updated`, v: v.name, vOut: `${v.name}.updated` };
      const gate = o.gates?.[i];
      const gatedOnly = (x: Value, x2: Value) => (gate ? op.Add(x, op.Mul(gate, op.Sub(x2, x))) : x2);
      const gated = (x: Value, x2: Value) => (finite ? op.Where(finite, gatedOnly(x, x2), x) : gatedOnly(x, x2));
      graph.output(gated(p, p2), slot.paramOut);
      graph.output(gated(m, m2), slot.mOut);
      graph.output(gated(v, v2), slot.vOut);
      return slot;
    });
    return { lr: lr.name, step: step.name, gradNorm, finite, slots };
  });
}
