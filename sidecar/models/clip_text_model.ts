// transformers CLIPTextModel (models/clip/modeling_clip.py): token + position embeddings, pre-norm
// encoder layers with causal self-attention, final_layer_norm. input_ids [B, L] int64 →
// last_hidden_state [B, L, H]; optionally every layer's hidden states and the clip-skip variant.
import { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import { gelu, layerNorm, layerNormWith, linear, quickGelu } from '../graph/nn';
import type { DType, Value } from '../graph/types';
import type { ClipTextConfig } from './configs';
import { module } from './scope';

export interface TextEncoderBuildOptions {
  batch: number;
  dtype?: DType;
  /** Token count (77 for SD). */
  length?: number;
  /** Output hidden_states [layers + 1, B, L, H] (embeddings, then each layer) and clip_skip_1. */
  hiddenStates?: boolean;
}

/** The additive causal mask: 0 on and below the diagonal, the float32 minimum above (as transformers). */
function causalMask(g: Graph, length: number, dtype: DType): Value {
  const lowest = dtype === 'float16' ? -65504 : -3.4028234663852886e38;
  const m = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) m[i * length + j] = lowest;
  return g.constant(m, dtype, [1, 1, length, length], 'causal_mask');
}

function selfAttention(x: Value, mask: Value, heads: number): Value {
  const [, l, hidden] = x.shape as [unknown, number, number];
  const d = hidden / heads;
  return module(x, 'self_attn', () => {
    const split = (v: Value, perm: number[]) => op.Transpose(op.Reshape(v, [0, l, heads, d]), perm);
    const q = split(op.Mul(linear(x, 'q_proj', hidden), 1 / Math.sqrt(d)), [0, 2, 1, 3]);
    const k = split(linear(x, 'k_proj', hidden), [0, 2, 3, 1]);
    const v = split(linear(x, 'v_proj', hidden), [0, 2, 1, 3]);
    const p = op.Softmax(op.Add(op.MatMul(q, k), mask), -1);
    const o = op.Reshape(op.Transpose(op.MatMul(p, v), [0, 2, 1, 3]), [0, l, hidden]);
    return linear(o, 'out_proj', hidden);
  });
}

export function buildTextEncoder(cfg: ClipTextConfig, o: TextEncoderBuildOptions): Graph {
  const g = new Graph('text_encoder');
  const length = o.length ?? cfg.max_position_embeddings;
  const ids = g.input('input_ids', 'int64', [o.batch, length]);
  const { last, hidden, clipSkip1 } = textEncoderForward(g, cfg, ids, o);
  g.output(last, 'last_hidden_state');
  if (o.hiddenStates) {
    g.output(clipSkip1(), 'clip_skip_1');
    g.output(op.Concat(hidden.map((v) => op.Reshape(v, [1, o.batch, length, cfg.hidden_size])), 0), 'hidden_states');
  }
  return g;
}

/** The text encoder built into `g` (in its current scope) on `ids` [B, L]: last_hidden_state, every
 *  layer's hidden state (embeddings first) and the clip-skip-1 variant (final norm of the penultimate). */
export function textEncoderForward(g: Graph, cfg: ClipTextConfig, ids: Value, o: { dtype?: DType } = {}): { last: Value; hidden: Value[]; clipSkip1: () => Value } {
  const dtype = o.dtype ?? 'float32';
  const length = ids.shape[1] as number;
  const act = cfg.hidden_act === 'quick_gelu' ? quickGelu : gelu;
  const H = cfg.hidden_size;
  const hidden: Value[] = [];
  return g.scope('text_model', () => {
    let h = g.scope('embeddings', () => {
      const tok = g.scope('token_embedding', () => op.Gather(g.param('weight', dtype, [cfg.vocab_size, H]), ids, 0));
      const pos = g.scope('position_embedding', () => g.param('weight', dtype, [cfg.max_position_embeddings, H]));
      return op.Add(tok, length === cfg.max_position_embeddings ? pos : op.Slice(pos, [0], [length], [0]));
    });
    hidden.push(h);
    const mask = causalMask(g, length, dtype);
    for (let i = 0; i < cfg.num_hidden_layers; i++) {
      const x = h;
      h = g.scope(`encoder.layers.${i}`, () => {
        const a = op.Add(selfAttention(layerNorm(x, 'layer_norm1', { eps: cfg.layer_norm_eps }), mask, cfg.num_attention_heads), x);
        const n2 = layerNorm(a, 'layer_norm2', { eps: cfg.layer_norm_eps });
        const m = module(a, 'mlp', () => linear(act(linear(n2, 'fc1', cfg.intermediate_size)), 'fc2', H));
        return op.Add(m, a);
      });
      hidden.push(h);
    }
    const [w, b] = g.scope('final_layer_norm', () => [g.param('weight', dtype, [H]), g.param('bias', dtype, [H])]);
    const last = layerNormWith(h, w, b, cfg.layer_norm_eps);
    // Built on request only, in the same scope: an unused value would still be emitted.
    const clipSkip1 = () => g.scope('text_model', () => layerNormWith(hidden[hidden.length - 2]!, w, b, cfg.layer_norm_eps));
    return { last, hidden, clipSkip1 };
  });
}
