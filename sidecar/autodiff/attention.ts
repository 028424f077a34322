// Gradient of the fused MultiHeadAttention kernel, flash-attention style in graph form: the
// forward keeps no scores, so the backward recomputes them one query chunk at a time, using
//   D = rowsum(dO ⊙ O)   (equals rowsum(dP ⊙ P), but costs Lq·d instead of Lq·Lk)
//   P = softmax(q kᵀ/√d),  dP = dO vᵀ,  dS = P ⊙ (dP − D)
//   dq = dS k/√d,  dk = Σ_chunks dSᵀ q/√d,  dv = Σ_chunks Pᵀ dO
// Each chunk's inputs carry a zero-valued dependency on the previous chunk's dq, dk and dv
// contributions, so ONNX Runtime finishes a chunk (and frees its P, dP, dS) before the next.
//
// Forms chosen for ORT's CPU kernels (SD 1.5 backward, 4096 tokens, chunks of 512 queries): kᵀ and
// vᵀ are laid out once per layer, not per chunk; dP − D is one MatMul, [dO | D]·[vᵀ ; −1] (one more
// column of the inner dimension instead of a pass over the chunk's Lq·Lk scores); √d's scale is in
// q and k once per layer, never on a chunk. (dkᵀ = qᵀ·dS instead of dSᵀ·q measured the same.)
import * as op from '../graph/ops';
import type { Dim, Value } from '../graph/types';
import { firstElement as first } from './checkpoint';
import type { Thunk } from './rules';

/** `out`: the attention's output O (n itself, or the forward value a recomputed region kept). */
export function multiHeadAttentionVjp(n: Value<'MultiHeadAttention'>, g: Value, out: Value = n): Thunk[] {
  let grads: [Value, Value, Value] | undefined;
  const all = () => (grads ??= attentionBackward(n, g, out));
  return [() => all()[0], () => all()[1], () => all()[2]];
}

function attentionBackward(n: Value<'MultiHeadAttention'>, dO: Value, out: Value): [Value, Value, Value] {
  const [q, k, v] = [n.input(0), n.input(1), n.input(2)];
  const heads = n.attrs.num_heads;
  const [, lq, hd] = q.shape as [Dim, number, number];
  const lk = k.shape[1] as number;
  const hv = v.shape[2] as number;
  const [d, dv] = [hd / heads, hv / heads];
  const scale = 1 / Math.sqrt(d);
  const heads4 = (x: Value, l: number, w: number) => op.Reshape(x, [0, l, heads, w]);
  const split = (x: Value, l: number, w: number) => op.Transpose(heads4(x, l, w), [0, 2, 1, 3]); // [B, H, L, w]
  const merge = (x: Value, l: number, w: number) => op.Reshape(op.Transpose(x, [0, 2, 1, 3]), [0, l, heads * w]);
  const qh = op.Mul(split(q, lq, d), scale);
  const kh = op.Mul(split(k, lk, d), scale); // dq = dS·k/√d
  const kt = op.Transpose(heads4(k, lk, d), [0, 2, 3, 1]); // [B, H, d, Lk]
  const vt = op.Transpose(heads4(v, lk, dv), [0, 2, 3, 1]); // [B, H, dv, Lk]
  const gh = split(dO, lq, dv);
  const D = op.ReduceSum(op.Mul(gh, split(out, lq, dv)), [3]); // [B, H, Lq, 1]
  const minusOnes = op.Expand(n.graph.scalar(-1, v.dtype), [...vt.shape.slice(0, 2), 1, lk]);
  const vtD = op.Concat([vt, minusOnes], 2); // [B, H, dv+1, Lk]
  const ghD = op.Concat([gh, D], 3); // [B, H, Lq, dv+1]: [dO | D]·[vᵀ ; −1] = dP − D
  const chunk = n.attrs.query_chunk;
  const dqs: Value[] = [];
  let dk: Value | undefined;
  let dvAcc: Value | undefined;
  for (let s = 0; s < lq; s += chunk) {
    const rows = (x: Value) => (chunk >= lq ? x : op.Slice(x, [s], [Math.min(lq, s + chunk)], [2]));
    let qc = rows(qh);
    let gc = rows(gh);
    let gcD = rows(ghD);
    const dqPrev = dqs.at(-1);
    if (dk && dvAcc && dqPrev) {
      // the chunk's operands wait for the previous chunk
      const after = op.Mul(op.Add(op.Add(first(dk), first(dvAcc)), first(dqPrev)), 0);
      qc = op.Add(qc, after);
      gc = op.Add(gc, after);
      gcD = op.Add(gcD, after);
    }
    const p = op.Softmax(op.MatMul(qc, kt), -1);
    const dS = op.Mul(op.MatMul(gcD, vtD), p); // first operand last used here: ORT writes dS over it
    dqs.push(op.MatMul(dS, kh));
    const dkc = op.MatMul(op.Transpose(dS, [0, 1, 3, 2]), qc);
    const dvc = op.MatMul(op.Transpose(p, [0, 1, 3, 2]), gc);
    dk = dk ? op.Add(dk, dkc) : dkc;
    dvAcc = dvAcc ? op.Add(dvAcc, dvc) : dvc;
  }
  if (!dk || !dvAcc) throw new Error(`autodiff: attention gradient of ${n} with no query rows`);
  return [merge(op.Concat(dqs, 2), lq, d), merge(dk, lk, d), merge(dvAcc, lk, dv)];
}

