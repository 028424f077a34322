// Gradient of the fused MultiHeadAttention kernel, flash-attention style in graph form: the
// forward keeps no scores, so the backward recomputes them one query chunk at a time, using
//   D = rowsum(dO ⊙ O)   (equals rowsum(dP ⊙ P), but costs Lq·d instead of Lq·Lk)
//   P = softmax(q kᵀ/√d),  dP = dO vᵀ,  dS = P ⊙ (dP − D)
//   dq = dS k/√d,  dk = Σ_chunks dSᵀ q/√d,  dv = Σ_chunks Pᵀ dO
// Each chunk's inputs carry a zero-valued dependency on the previous chunk's dq, dk and dv
// contributions, so ONNX Runtime finishes a chunk (and frees its P, dP, dS) before the next.
import * as op from '../graph/ops';
import type { Dim, Value } from '../graph/types';
import { firstElement as first } from './checkpoint';
import type { Thunk } from './rules';

export function multiHeadAttentionVjp(n: Value<'MultiHeadAttention'>, g: Value): Thunk[] {
  let grads: [Value, Value, Value] | undefined;
  const all = () => (grads ??= attentionBackward(n, g));
  return [() => all()[0], () => all()[1], () => all()[2]];
}

function attentionBackward(n: Value<'MultiHeadAttention'>, dO: Value): [Value, Value, Value] {
  const [q, k, v] = [n.input(0), n.input(1), n.input(2)];
  const heads = n.attrs.num_heads;
  const [, lq, hd] = q.shape as [Dim, number, number];
  const lk = k.shape[1] as number;
  const hv = v.shape[2] as number;
  const [d, dv] = [hd / heads, hv / heads];
  const scale = 1 / Math.sqrt(d);
  const split = (x: Value, l: number, w: number) => op.Transpose(op.Reshape(x, [0, l, heads, w]), [0, 2, 1, 3]); // [B, H, L, w]
  const merge = (x: Value, l: number, w: number) => op.Reshape(op.Transpose(x, [0, 2, 1, 3]), [0, l, heads * w]);
  const qh = op.Mul(split(q, lq, d), scale);
  const kh = split(k, lk, d);
  const vh = split(v, lk, dv);
  const gh = split(dO, lq, dv);
  const D = op.ReduceSum(op.Mul(gh, split(n, lq, dv)), [3]); // [B, H, Lq, 1]
  const chunk = n.attrs.query_chunk;
  const dqs: Value[] = [];
  let dk: Value | undefined;
  let dvAcc: Value | undefined;
  for (let s = 0; s < lq; s += chunk) {
    const rows = (x: Value) => (chunk >= lq ? x : op.Slice(x, [s], [Math.min(lq, s + chunk)], [2]));
    let qc = rows(qh);
    let gc = rows(gh);
    const dqPrev = dqs.at(-1);
    if (dk && dvAcc && dqPrev) {
      // both operands of the chunk's first products wait for the previous chunk
      const after = op.Mul(op.Add(op.Add(first(dk), first(dvAcc)), first(dqPrev)), 0);
      qc = op.Add(qc, after);
      gc = op.Add(gc, after);
    }
    const p = op.Softmax(op.MatMul(qc, op.Transpose(kh, [0, 1, 3, 2])), -1);
    const dS = op.Mul(p, op.Sub(op.MatMul(gc, op.Transpose(vh, [0, 1, 3, 2])), rows(D)));
    dqs.push(op.Mul(op.MatMul(dS, kh), scale));
    const dkc = op.MatMul(op.Transpose(dS, [0, 1, 3, 2]), qc);
    const dvc = op.MatMul(op.Transpose(p, [0, 1, 3, 2]), gc);
    dk = dk ? op.Add(dk, dkc) : dkc;
    dvAcc = dvAcc ? op.Add(dvAcc, dvc) : dvc;
  }
  if (!dk || !dvAcc) throw new Error(`autodiff: attention gradient of ${n} with no query rows`);
  return [merge(op.Concat(dqs, 2), lq, d), merge(dk, lk, d), merge(dvAcc, lk, dv)];
}

