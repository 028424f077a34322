// diffusers models/unets/unet_2d_blocks.py: the down, mid and up blocks of the UNet and the VAE,
// chosen by the same type strings as diffusers' get_down_block / get_up_block.
import * as op from '../graph/ops';
import type { Value } from '../graph/types';
import { attentionModule } from './attention';
import { downsample2D, resnetBlock2D, upsample2D } from './resnet';
import { transformer2D, type Transformer2DOptions } from './transformer_2d';
import { module } from './scope';
import { groupNorm } from '../graph/nn';

export type DownBlockType = 'CrossAttnDownBlock2D' | 'DownBlock2D' | 'DownEncoderBlock2D';
export type UpBlockType = 'CrossAttnUpBlock2D' | 'UpBlock2D' | 'UpDecoderBlock2D';

/** What every block needs; cross-attention fields are ignored by the plain blocks. */
export interface BlockArgs {
  numLayers: number;
  outChannels: number;
  groups: number;
  eps: number;
  /** SiLU(temb) or undefined (VAE blocks have no time embedding). */
  tembAct?: Value;
  context?: Value;
  /** The cross-attention blocks' transformer (heads, depth = transformer_layers_per_block, projection). */
  transformer?: Omit<Transformer2DOptions, 'groups'>;
  /** diffusers' output_scale_factor of the resnets (resnet_out_scale_factor, mid_block_scale_factor). */
  outputScaleFactor?: number;
}

export interface DownBlockArgs extends BlockArgs {
  addDownsample: boolean;
  downsamplePadding: number;
}

export interface UpBlockArgs extends BlockArgs {
  addUpsample: boolean;
  /** Skip connections, consumed from the end (diffusers' res_hidden_states_tuple). */
  skips?: Value[];
  /** diffusers' upsample_size: the spatial size of the next skip connection. */
  upsampleSize?: readonly [number, number];
}

function crossAttn(h: Value, a: BlockArgs, j: number): Value {
  if (!a.context || !a.transformer) throw new Error('cross-attention block built without a context or transformer options');
  const ctx = a.context;
  const t = a.transformer;
  return module(h, `attentions.${j}`, () => transformer2D(h, ctx, { ...t, groups: a.groups }));
}

/** Returns the block output and the states it hands to the up path (one per resnet, plus the downsampled one). */
export function getDownBlock(type: DownBlockType, x: Value, a: DownBlockArgs): { out: Value; states: Value[] } {
  const states: Value[] = [];
  let h = x;
  for (let j = 0; j < a.numLayers; j++) {
    h = module(h, `resnets.${j}`, () => resnetBlock2D(h, a.tembAct, { outChannels: a.outChannels, groups: a.groups, eps: a.eps, outputScaleFactor: a.outputScaleFactor }));
    if (type === 'CrossAttnDownBlock2D') h = crossAttn(h, a, j);
    states.push(h);
  }
  if (a.addDownsample) {
    h = downsample2D(h, a.downsamplePadding);
    states.push(h);
  }
  return { out: h, states };
}

export function getUpBlock(type: UpBlockType, x: Value, a: UpBlockArgs): Value {
  let h = x;
  for (let j = 0; j < a.numLayers; j++) {
    if (type !== 'UpDecoderBlock2D') {
      const skip = a.skips?.pop();
      if (!skip) throw new Error(`${type}: ran out of skip connections at resnet ${j}`);
      h = op.Concat([h, skip], 1);
    }
    h = module(h, `resnets.${j}`, () => resnetBlock2D(h, a.tembAct, { outChannels: a.outChannels, groups: a.groups, eps: a.eps, outputScaleFactor: a.outputScaleFactor }));
    if (type === 'CrossAttnUpBlock2D') h = crossAttn(h, a, j);
  }
  return a.addUpsample ? upsample2D(h, a.upsampleSize) : h;
}

/** UNetMidBlock2DCrossAttn: resnet, then (transformer, resnet) per layer. */
export function midBlock2DCrossAttn(x: Value, a: BlockArgs): Value {
  const r = (h: Value, j: number) =>
    module(h, `resnets.${j}`, () => resnetBlock2D(h, a.tembAct, { outChannels: a.outChannels, groups: a.groups, eps: a.eps, outputScaleFactor: a.outputScaleFactor }));
  let h = r(x, 0);
  for (let j = 0; j < a.numLayers; j++) h = r(crossAttn(h, a, j), j + 1);
  return h;
}

/**
 * UNetMidBlock2D (the VAE's): resnet, then (single-head spatial self-attention, resnet). The attention
 * is diffusers' Attention with group_norm, biased projections and a residual connection, over H·W tokens.
 */
export function midBlock2D(x: Value, a: BlockArgs & { addAttention: boolean }): Value {
  const c = x.shape[1] as number;
  const r = (h: Value, j: number) => module(h, `resnets.${j}`, () => resnetBlock2D(h, undefined, { outChannels: c, groups: a.groups, eps: a.eps }));
  let h = r(x, 0);
  if (a.addAttention) {
    const [, , hh, ww] = h.shape as [unknown, number, number, number];
    const input = h;
    h = module(h, 'attentions.0', () => {
      const normed = groupNorm(input, 'group_norm', a.groups, { eps: a.eps });
      const tokens = op.Reshape(op.Transpose(normed, [0, 2, 3, 1]), [0, hh * ww, c]);
      // diffusers builds this block with upcast_softmax: float32 scores even in a float16 graph.
      const att = attentionModule(tokens, undefined, '', { heads: 1, qkvBias: true, upcast: true });
      return op.Add(op.Transpose(op.Reshape(att, [0, hh, ww, c]), [0, 3, 1, 2]), input);
    });
  }
  return r(h, 1);
}
