// diffusers models/autoencoders/autoencoder_kl.py (AutoencoderKL) with vae.py's Encoder/Decoder:
// encode image [B, 3, H, W] → latent distribution (mean, logvar, std); decode latents [B, 4, h, w] →
// image, raw decoder output in about [-1, 1] (the caller divides by scaling_factor first, or sets
// `latentScale`).
import { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import { conv2d, groupNorm, silu } from '../graph/nn';
import type { DType, Value } from '../graph/types';
import { blockEntry } from './config-check';
import type { VaeConfig } from './configs';
import { getDownBlock, getUpBlock, midBlock2D } from './unet_2d_blocks';
import { module } from './scope';

/** The VAE's resnets and norms use eps 1e-6 (diffusers hard-codes it in Encoder/Decoder). */
const EPS = 1e-6;

export interface VaeBuildOptions {
  batch: number;
  /** Image height/width for the encoder; latent height/width for the decoder. */
  height: number;
  width: number;
  dtype?: DType;
  /** Decoder only: multiply the input by this first (1 / scaling_factor in a pipeline). */
  latentScale?: number;
  /** Build into this graph instead of a new one (training passes a graph that decides what is trained). */
  graph?: Graph;
  /** Decoder only: latents computed in the same graph (an encoder trained with it) instead of an input. */
  latents?: Value;
}

function encoder(x: Value, cfg: VaeConfig): Value {
  const n = cfg.block_out_channels.length;
  let h = conv2d(x, 'conv_in', blockEntry(cfg.block_out_channels, 0, 'block_out_channels'), { kernel: 3, padding: 1 });
  for (let i = 0; i < n; i++) {
    const input = h;
    h = module(input, `down_blocks.${i}`, () =>
      getDownBlock('DownEncoderBlock2D', input, {
        numLayers: cfg.layers_per_block,
        outChannels: blockEntry(cfg.block_out_channels, i, 'block_out_channels'),
        groups: cfg.norm_num_groups,
        eps: EPS,
        addDownsample: i < n - 1,
        downsamplePadding: 0,
      }).out,
    );
  }
  const mid = h;
  h = module(mid, 'mid_block', () => midBlock2D(mid, { numLayers: 1, outChannels: blockEntry(cfg.block_out_channels, n - 1, 'block_out_channels'), groups: cfg.norm_num_groups, eps: EPS, addAttention: cfg.mid_block_add_attention }));
  h = silu(groupNorm(h, 'conv_norm_out', cfg.norm_num_groups, { eps: EPS }));
  return conv2d(h, 'conv_out', 2 * cfg.latent_channels, { kernel: 3, padding: 1 });
}

function decoder(z: Value, cfg: VaeConfig): Value {
  const n = cfg.block_out_channels.length;
  const rev = [...cfg.block_out_channels].reverse();
  let h = conv2d(z, 'conv_in', blockEntry(rev, 0, 'block_out_channels'), { kernel: 3, padding: 1 });
  const mid = h;
  h = module(mid, 'mid_block', () => midBlock2D(mid, { numLayers: 1, outChannels: blockEntry(rev, 0, 'block_out_channels'), groups: cfg.norm_num_groups, eps: EPS, addAttention: cfg.mid_block_add_attention }));
  for (let i = 0; i < n; i++) {
    const input = h;
    h = module(input, `up_blocks.${i}`, () =>
      getUpBlock('UpDecoderBlock2D', input, {
        numLayers: cfg.layers_per_block + 1,
        outChannels: blockEntry(rev, i, 'block_out_channels'),
        groups: cfg.norm_num_groups,
        eps: EPS,
        addUpsample: i < n - 1,
      }),
    );
  }
  h = silu(groupNorm(h, 'conv_norm_out', cfg.norm_num_groups, { eps: EPS }));
  return conv2d(h, 'conv_out', cfg.out_channels, { kernel: 3, padding: 1 });
}

/** image → mean, logvar (clamped to [-30, 20] as DiagonalGaussianDistribution does), std. */
export function buildVaeEncoder(cfg: VaeConfig, o: VaeBuildOptions): Graph {
  const dtype = o.dtype ?? 'float32';
  const g = o.graph ?? new Graph('vae_encoder');
  const image = g.input('image', dtype, [o.batch, cfg.in_channels, o.height, o.width]);
  const h = g.scope('encoder', () => encoder(image, cfg));
  const moments = conv2d(h, 'quant_conv', 2 * cfg.latent_channels, { kernel: 1 });
  const lc = cfg.latent_channels;
  const mean = op.Slice(moments, [0], [lc], [1]);
  const logvar = op.Min(op.Max(op.Slice(moments, [lc], [2 * lc], [1]), -30), 20);
  g.output(mean, 'mean');
  g.output(logvar, 'logvar');
  g.output(op.Exp(op.Mul(logvar, 0.5)), 'std');
  return g;
}

export function buildVaeDecoder(cfg: VaeConfig, o: VaeBuildOptions): Graph {
  const dtype = o.dtype ?? 'float32';
  const g = o.graph ?? new Graph('vae_decoder');
  let z: Value = o.latents ?? g.input('latents', dtype, [o.batch, cfg.latent_channels, o.height, o.width]);
  if (o.latentScale !== undefined && o.latentScale !== 1) z = op.Mul(z, o.latentScale);
  z = conv2d(z, 'post_quant_conv', cfg.latent_channels, { kernel: 1 });
  g.output(
    g.scope('decoder', () => decoder(z, cfg)),
    'image',
  );
  return g;
}
