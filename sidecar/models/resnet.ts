// diffusers models/resnet.py: ResnetBlock2D, Downsample2D, Upsample2D (the SD 1.x variants).
import * as op from '../graph/ops';
import { conv2d, groupNorm, silu, upsampleNearest2x } from '../graph/nn';
import type { Value } from '../graph/types';
import { graphOf, module } from './scope';

export interface ResnetOptions {
  outChannels: number;
  groups: number;
  eps: number;
  /** diffusers' output_scale_factor: the sum is divided by it. */
  outputScaleFactor?: number;
}

/**
 * norm1 → SiLU → conv1 (+ time_emb_proj(SiLU(temb))) → norm2 → SiLU → conv2, plus the (1x1-projected
 * when channels change) input. `tembAct` is SiLU(temb), computed once by the caller for every block
 * (diffusers recomputes it in each resnet; the value is the same).
 */
export function resnetBlock2D(x: Value, tembAct: Value | undefined, o: ResnetOptions): Value {
  const inChannels = x.shape[1] as number;
  const out = o.outChannels;
  let h = conv2d(silu(groupNorm(x, 'norm1', o.groups, { eps: o.eps })), 'conv1', out, { kernel: 3, padding: 1 });
  if (tembAct) {
    const t = module(x, 'time_emb_proj', () => {
      const g = graphOf(x);
      const w = g.param('weight', x.dtype, [out, tembAct.shape[1] as number]);
      const b = g.param('bias', x.dtype, [out]);
      return op.Add(op.MatMul(tembAct, op.Transpose(w, [1, 0])), b);
    });
    h = op.Add(h, op.Reshape(t, [0, out, 1, 1]));
  }
  h = conv2d(silu(groupNorm(h, 'norm2', o.groups, { eps: o.eps })), 'conv2', out, { kernel: 3, padding: 1 });
  const skip = inChannels !== out ? conv2d(x, 'conv_shortcut', out, { kernel: 1 }) : x;
  const sum = op.Add(skip, h);
  return o.outputScaleFactor !== undefined && o.outputScaleFactor !== 1 ? op.Div(sum, o.outputScaleFactor) : sum;
}

/**
 * Strided 3x3 conv, module `downsamplers.0.conv`. padding 0 is the VAE's variant: diffusers pads
 * (0, 1, 0, 1) first; here that padding is folded into the convolution's asymmetric pads.
 */
export function downsample2D(x: Value, padding: number): Value {
  const c = x.shape[1] as number;
  return module(x, 'downsamplers.0', () =>
    module(x, 'conv', () => {
      const g = graphOf(x);
      const w = g.param('weight', x.dtype, [c, c, 3, 3]);
      const b = g.param('bias', x.dtype, [c]);
      const pads = padding === 0 ? [0, 0, 1, 1] : [padding, padding, padding, padding];
      return op.Conv(x, w, b, { strides: [2, 2], pads });
    }),
  );
}

/**
 * Nearest upsampling then a 3x3 conv, module `upsamplers.0`. `size` is diffusers' upsample_size: when
 * the latent size is not a multiple of 2^(blocks-1) the skip connection is not exactly twice as large,
 * and nearest interpolation to that size picks source index floor(i · in / out) (torch's 'nearest').
 */
export function upsample2D(x: Value, size?: readonly [number, number]): Value {
  const [, c, h, w] = x.shape as [unknown, number, number, number];
  let y: Value;
  if (!size || (size[0] === 2 * h && size[1] === 2 * w)) y = upsampleNearest2x(x);
  else {
    const g = graphOf(x);
    const pick = (n: number, m: number) => g.constant(nearestIndices(n, m), 'int64', [m], 'nearest_index');
    y = op.Gather(op.Gather(x, pick(h, size[0]), 2), pick(w, size[1]), 3);
  }
  return module(x, 'upsamplers.0', () => conv2d(y, 'conv', c, { kernel: 3, padding: 1 }));
}


/** Source index of each of `m` outputs when resizing `n` inputs with nearest interpolation (torch 'nearest'). */
export function nearestIndices(n: number, m: number): number[] {
  return Array.from({ length: m }, (_, i) => Math.min(n - 1, Math.floor((i * n) / m)));
}
