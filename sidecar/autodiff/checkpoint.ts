// Gradient checkpointing. Values built inside `graph.checkpoint(fn)` carry a region id. When the
// backward pass first reaches a region, it rebuilds the region's nodes from the region's inputs and
// differentiates the copies, so the forward copies are dead after the forward pass (ORT frees them)
// and only the region's inputs stay alive.
//
// Two details make ORT honour this: (1) each region input is passed through x + 0·g[0] where g is
// the incoming gradient, a data dependency that keeps the recomputation from being scheduled
// during the forward pass; (2) that also makes the copies differ from the originals, so ORT's
// common-subexpression elimination cannot merge them back. Nodes of the region that depend only
// on parameters and constants (weight transposes, reshapes) are shared, not copied.
// (3) The anchor of each region also depends on the gradients the previously differentiated region
// sent to its inputs, so ORT finishes one region's backward (and frees its recomputed values)
// before recomputing the next; without it ORT's depth-first order computes, say, every chunk's dq
// first and keeps all chunks' recomputed softmax alive for the dk and dv products that come later.
// (4) A few nodes keep their output from the forward pass even inside a region (kept()): their copy is
// built from recomputed inputs for the gradient rule, but is never run; the rule and the region's
// later nodes read the forward output.
import * as op from '../graph/ops';
import type { Value } from '../graph/types';

/** Convolutions whose every output sums at least this many products are kept (SD 1.5: all but the
 *  320-channel 3×3 ones at 64×64 and the 1×1 ones). Measured on the SD 1.5 LoRA step at 512² (CPU):
 *  recomputing them took 0.85 s; keeping them moved the peak by less than the run-to-run spread. */
const KEPT_CONV_FAN_IN = 640 * 3 * 3;
/** Products with a weight whose inner dimension is at least this are kept too (SD 1.5: every projection
 *  at 16×16 and 8×8, the text-conditioned k/v, and ff.net.2 at 64×64 and 32×32). Measured on the SD 1.5
 *  LoRA step at 512² (CPU): −0.3 s a step for +160 MiB; 640 saved 0.15 s more for +360 MiB more. */
const KEPT_MATMUL_FAN_IN = 768;

/** Region nodes whose output is cheaper to keep than to recompute (the most compute per byte kept):
 *  MultiHeadAttention ([B, L, C], 10 MiB per SD 1.5 64×64 layer at batch 2, where recomputing the 32
 *  kernels took 0.87 s of a 15 s step), and convolutions and weight products with a large fan-in.
 *  `ins`: the node's inputs as the recomputed region reads them; one that is its own forward value is
 *  shared with the forward pass, i.e. computed from weights alone. */
function kept(u: Value, ins: readonly Value[]): boolean {
  if (u.op === 'MultiHeadAttention') return true;
  if (u.op === 'MatMul') return ins[1] === u.inputs[1] && (u.input(0).shape.at(-1) as number) >= KEPT_MATMUL_FAN_IN;
  if (u.op !== 'Conv') return false;
  const fanIn = (u.input(1).shape as number[]).slice(1).reduce((a, b) => a * b, 1); // weight [O, C/G, k…]
  return fanIn >= KEPT_CONV_FAN_IN;
}

/** x[0, 0, …] as a scalar (summed over symbolic axes, which cannot be sliced statically). */
export function firstElement(x: Value): Value {
  const fixed = x.shape.map((_, i) => i).filter((i) => typeof x.shape[i] === 'number');
  const first = op.Slice(x, fixed.map(() => 0), fixed.map(() => 1), fixed);
  return op.ReduceSum(first, first.shape.map((_, i) => i), false);
}

export class Recompute {
  private readonly copies = new Map<number, Value>();
  /** Forward outputs of kept() region nodes, as the backward reads them. */
  private readonly kept = new Map<number, Value>();
  private readonly done = new Set<number>();
  /** Gradients that the last built region sent out to its inputs. */
  private outgoing: Value[] = [];

  /** Called by the driver for each gradient a region node sends to a value outside its region. */
  noteOutgoing(gx: Value): void {
    this.outgoing.push(gx);
  }

  /** The recomputed copy of region node `v`, building the whole region on first use. */
  node(v: Value, g: Value): Value {
    const r = v.region!;
    if (!this.done.has(r)) this.build(v, r, g);
    return this.copies.get(v.id) ?? v;
  }

  /** The value standing for region node `v`'s output in the backward (after node(v) built the region). */
  output(v: Value): Value {
    return this.kept.get(v.id) ?? this.copies.get(v.id) ?? v;
  }

  private build(from: Value, r: number, g: Value): void {
    this.done.add(r);
    const graph = from.graph;
    const members = graph.values.filter((u) => u.region === r);
    const inRegion = new Set(members.map((u) => u.id));
    // In g's dtype: a mixed-precision step sends float16 and float32 gradients out of a region.
    const anchor = op.Mul([g, ...this.outgoing].map((x) => op.Cast(firstElement(x), g.dtype)).reduce((a, b) => op.Add(a, b)), 0);
    this.outgoing = [];
    const anchored = new Map<number, Value>();
    const waitForAnchor = (x: Value): Value => op.Add(x, op.Cast(anchor, x.dtype));
    const input = (x: Value): Value => {
      if (inRegion.has(x.id)) return this.kept.get(x.id) ?? this.copies.get(x.id) ?? x;
      if (x.op === 'Param' || x.op === 'Constant' || (x.dtype !== 'float32' && x.dtype !== 'float16' && x.dtype !== 'float64' && x.dtype !== 'bfloat16')) return x;
      if (!anchored.has(x.id)) anchored.set(x.id, waitForAnchor(x));
      return anchored.get(x.id)!;
    };
    graph.scope('recompute', () => {
      for (const u of members) {
        const ins = u.inputs.map(input);
        if (ins.every((x, i) => x === u.inputs[i])) continue; // depends on weights only: share it
        this.copies.set(u.id, graph.node(u.op, ins, u.attrs, u.dtype, u.shape, u.name));
        if (kept(u, ins)) this.kept.set(u.id, waitForAnchor(u));
      }
    });
  }
}
