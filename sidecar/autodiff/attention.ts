// Gradient of the fused MultiHeadAttention kernel: differentiate the equivalent composite
// (nn.attention with per-chunk recomputation). Its forward nodes are never emitted (the
// recomputed chunks replace them), so the backward costs what the composite's would, while the
// forward keeps the fused kernel's speed and memory: flash-attention's trade, in graph form.
import { attention } from '../graph/nn';
import type { Value } from '../graph/types';
import { grad } from './grad';
import type { Thunk } from './rules';

export function multiHeadAttentionVjp(n: Value<'MultiHeadAttention'>, g: Value): Thunk[] {
  // Distinct stand-ins, so k === v (or q === k) still gets one partial derivative per position.
  const alias = (x: Value) => x.graph.node('Reshape', [x], { shape: [...x.shape] }, x.dtype, x.shape);
  let grads: Value[] | undefined;
  const all = () => {
    if (!grads) {
      const [q, k, v] = n.inputs.map(alias);
      grads = grad(attention(q, k, v, n.attrs.num_heads, { fused: false, recompute: true }), [q, k, v], g);
    }
    return grads;
  };
  return [0, 1, 2].map((i) => () => all()[i]);
}
