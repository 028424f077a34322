// diffusers models/transformers/transformer_2d.py, continuous input: GroupNorm → proj_in (1x1 conv,
// or linear when use_linear_projection) → BasicTransformerBlocks over the H·W tokens → proj_out → + input.
import * as op from '../graph/ops';
import { conv2d, groupNorm, linear } from '../graph/nn';
import type { Value } from '../graph/types';
import { basicTransformerBlock } from './attention';
import { module } from './scope';

export interface Transformer2DOptions {
  heads: number;
  layers: number;
  groups: number;
  useLinearProjection: boolean;
  onlyCrossAttention: boolean;
  upcastAttention: boolean;
}

export function transformer2D(x: Value, context: Value, o: Transformer2DOptions): Value {
  const [, c, h, w] = x.shape as [unknown, number, number, number];
  const tokens = (v: Value) => op.Reshape(op.Transpose(v, [0, 2, 3, 1]), [0, h * w, c]);
  const image = (v: Value) => op.Transpose(op.Reshape(v, [0, h, w, c]), [0, 3, 1, 2]);
  const normed = groupNorm(x, 'norm', o.groups, { eps: 1e-6 });
  let t = o.useLinearProjection ? linear(tokens(normed), 'proj_in', c) : tokens(conv2d(normed, 'proj_in', c, { kernel: 1 }));
  for (let i = 0; i < o.layers; i++)
    t = module(x, `transformer_blocks.${i}`, () =>
      basicTransformerBlock(t, context, { heads: o.heads, onlyCrossAttention: o.onlyCrossAttention, upcastAttention: o.upcastAttention }),
    );
  const out = o.useLinearProjection ? image(linear(t, 'proj_out', c)) : conv2d(image(t), 'proj_out', c, { kernel: 1 });
  return op.Add(out, x);
}
