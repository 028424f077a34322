// diffusers models/attention.py and attention_processor.py: Attention (to_q/to_k/to_v/to_out.0),
// FeedForward with GEGLU (ff.net.0.proj, ff.net.2), and BasicTransformerBlock (norm1/attn1,
// norm2/attn2, norm3/ff).
import * as op from '../graph/ops';
import { attention, geglu, layerNorm, linear } from '../graph/nn';
import type { Value } from '../graph/types';
import { graphOf, module } from './scope';

export interface AttentionOptions {
  heads: number;
  /** Bias on to_q/to_k/to_v (false in the UNet, true in the VAE's mid-block attention). */
  qkvBias: boolean;
  /** Compute scores and softmax in float32 even when the graph runs in float16. */
  upcast: boolean;
}

/** Multi-head attention, chunked over queries by the compute core (no full score matrix at 64x64). */
function scaledDotProduct(q: Value, k: Value, v: Value, o: AttentionOptions): Value {
  if (!o.upcast || q.dtype === 'float32') return attention(q, k, v, o.heads);
  const f = (x: Value) => op.Cast(x, 'float32');
  return op.Cast(attention(f(q), f(k), f(v), o.heads), q.dtype);
}

/**
 * diffusers Attention in module `name`. Self-attention (no context) projects q, k and v with one
 * MatMul over the concatenated weights (the weights stay three checkpoint tensors; ONNX Runtime folds
 * the concatenation once at load).
 */
export function attentionModule(x: Value, context: Value | undefined, name: string, o: AttentionOptions): Value {
  const dim = x.shape[x.rank - 1] as number;
  return module(x, name, () => {
    const g = graphOf(x);
    let q: Value, k: Value, v: Value;
    if (!context) {
      const ws = ['to_q', 'to_k', 'to_v'].map((n) => g.scope(n, () => g.param('weight', x.dtype, [dim, dim])));
      const qkv = op.MatMul(x, op.Transpose(op.Concat(ws, 0), [1, 0]));
      const bs = o.qkvBias ? ['to_q', 'to_k', 'to_v'].map((n) => g.scope(n, () => g.param('bias', x.dtype, [dim]))) : [];
      const withBias = bs.length ? op.Add(qkv, op.Concat(bs, 0)) : qkv;
      [q, k, v] = [0, 1, 2].map((i) => op.Slice(withBias, [i * dim], [(i + 1) * dim], [-1]));
    } else {
      q = linear(x, 'to_q', dim, { bias: o.qkvBias });
      k = linear(context, 'to_k', dim, { bias: o.qkvBias });
      v = linear(context, 'to_v', dim, { bias: o.qkvBias });
    }
    return linear(scaledDotProduct(q, k, v, o), 'to_out.0', dim);
  });
}

export interface TransformerBlockOptions {
  heads: number;
  onlyCrossAttention: boolean;
  upcastAttention: boolean;
}

/** BasicTransformerBlock (layer_norm variant, GEGLU feed-forward, residual after each part). */
export function basicTransformerBlock(x: Value, context: Value, o: TransformerBlockOptions): Value {
  const dim = x.shape[x.rank - 1] as number;
  const a = { heads: o.heads, qkvBias: false, upcast: o.upcastAttention };
  let h = op.Add(attentionModule(layerNorm(x, 'norm1'), o.onlyCrossAttention ? context : undefined, 'attn1', a), x);
  h = op.Add(attentionModule(layerNorm(h, 'norm2'), context, 'attn2', a), h);
  const n3 = layerNorm(h, 'norm3');
  const ff = module(h, 'ff.net', () => linear(geglu(n3, '0.proj', 4 * dim), '2', dim));
  return op.Add(ff, h);
}
