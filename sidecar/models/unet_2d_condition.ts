// diffusers models/unets/unet_2d_condition.py (UNet2DConditionModel), SD 1.x feature set, built from
// a validated UNetConfig for one latent size: sample [B, C, h, w], timestep [B] (float32, fractional
// timesteps allowed), encoder_hidden_states [B, L, cross_attention_dim] → noise_pred [B, C, h, w].
import { Graph } from '../graph/graph';
import * as op from '../graph/ops';
import { conv2d, groupNorm, linear, silu, timestepEmbedding } from '../graph/nn';
import type { DType, Value } from '../graph/types';
import { blockEntry } from './config-check';
import { type UNetConfig, contextDim } from './configs';
import { getDownBlock, getUpBlock, midBlock2DCrossAttn } from './unet_2d_blocks';
import { module } from './scope';

export interface UNetBuildOptions {
  batch: number;
  /** Latent height and width (image size / 8). */
  height: number;
  width: number;
  dtype?: DType;
  /** dtype of the sample and context inputs and the noise_pred output (default: dtype). A mixed-precision
   *  training step feeds and reads float32 and computes in float16, as autocast does. */
  io?: DType;
  /** Text length of encoder_hidden_states (77 for CLIP). */
  contextLength?: number;
  /** Also output the intermediates diffusers' hooks see (time_proj, time_embedding, conv_in, down_blocks.i, mid_block, up_blocks.i). */
  intermediates?: boolean;
  /** Build into this graph instead of a new one (training passes a graph that decides what is trained). */
  graph?: Graph;
  /** encoder_hidden_states computed in the same graph (a text encoder trained with the UNet) instead of an input. */
  context?: Value;
}

export const UNET_INPUTS = { sample: 'sample', timestep: 'timestep', context: 'encoder_hidden_states' } as const;

/** The config's per-block lists (one entry per block, checked by configs.ts). */
type PerBlockKey = 'block_out_channels' | 'layers_per_block' | 'num_attention_heads' | 'transformer_layers_per_block' | 'only_cross_attention' | 'cross_attention_dim' | 'down_block_types' | 'up_block_types';

export function buildUNet(cfg: UNetConfig, o: UNetBuildOptions): Graph {
  const dtype = o.dtype ?? 'float32';
  const g = o.graph ?? new Graph('unet');
  const n = cfg.block_out_channels.length;
  const io = o.io ?? dtype;
  let sample: Value = op.Cast(g.input(UNET_INPUTS.sample, io, [o.batch, cfg.in_channels, o.height, o.width]), dtype);
  const timestep = g.input(UNET_INPUTS.timestep, 'float32', [o.batch]);
  const context = op.Cast(o.context ?? g.input(UNET_INPUTS.context, io, [o.batch, o.contextLength ?? 77, contextDim(cfg)]), dtype);
  const debug = (v: Value, name: string) => {
    if (o.intermediates) g.output(v, `intermediate.${name}`);
  };
  const at = <K extends PerBlockKey>(key: K, i: number): UNetConfig[K][number] => blockEntry<UNetConfig[K][number]>(cfg[key], i, key);
  const c0 = at('block_out_channels', 0);

  // 1. time: sinusoidal projection (always float32, as diffusers), then the MLP in the compute dtype.
  const tProj = timestepEmbedding(timestep, c0, { flipSinToCos: cfg.flip_sin_to_cos, downscaleFreqShift: cfg.freq_shift });
  debug(tProj, 'time_proj');
  const emb = module(sample, 'time_embedding', () => linear(silu(linear(op.Cast(tProj, dtype), 'linear_1', 4 * c0)), 'linear_2', 4 * c0));
  debug(emb, 'time_embedding');
  const tembAct = silu(emb);

  // 2. pre-process
  if (cfg.center_input_sample) sample = op.Sub(op.Mul(sample, 2), 1);
  let h = conv2d(sample, 'conv_in', c0, { kernel: 3, padding: 1 });
  debug(h, 'conv_in');

  // 3. down
  const skips: Value[] = [h];
  const transformer = (i: number) => ({
    heads: at('num_attention_heads', i),
    layers: at('transformer_layers_per_block', i),
    useLinearProjection: cfg.use_linear_projection,
    onlyCrossAttention: at('only_cross_attention', i),
    upcastAttention: cfg.upcast_attention,
  });
  for (let i = 0; i < n; i++) {
    const x = h;
    const r = module(x, `down_blocks.${i}`, () =>
      getDownBlock(at('down_block_types', i), x, {
        numLayers: at('layers_per_block', i),
        outChannels: at('block_out_channels', i),
        groups: cfg.norm_num_groups,
        eps: cfg.norm_eps,
        tembAct,
        context,
        transformer: transformer(i),
        outputScaleFactor: cfg.resnet_out_scale_factor,
        addDownsample: i < n - 1,
        downsamplePadding: cfg.downsample_padding,
      }),
    );
    h = r.out;
    skips.push(...r.states);
    debug(h, `down_blocks.${i}`);
  }

  // 4. mid
  {
    const x = h;
    h = module(x, 'mid_block', () =>
      midBlock2DCrossAttn(x, {
        numLayers: 1,
        outChannels: at('block_out_channels', n - 1),
        groups: cfg.norm_num_groups,
        eps: cfg.norm_eps,
        tembAct,
        context,
        transformer: transformer(n - 1),
        outputScaleFactor: cfg.mid_block_scale_factor,
      }),
    );
    debug(h, 'mid_block');
  }

  // 5. up: block i mirrors down block n-1-i and takes its layers + 1 skip connections.
  for (let i = 0; i < n; i++) {
    const rev = n - 1 - i;
    const layers = at('layers_per_block', rev) + 1;
    const mine = skips.splice(skips.length - layers, layers);
    const next = skips.at(-1);
    const x = h;
    h = module(x, `up_blocks.${i}`, () =>
      getUpBlock(at('up_block_types', i), x, {
        numLayers: layers,
        outChannels: at('block_out_channels', rev),
        groups: cfg.norm_num_groups,
        eps: cfg.norm_eps,
        tembAct,
        context,
        transformer: transformer(rev),
        outputScaleFactor: cfg.resnet_out_scale_factor,
        addUpsample: i < n - 1,
        skips: mine,
        upsampleSize: next ? [next.shape[2] as number, next.shape[3] as number] : undefined,
      }),
    );
    debug(h, `up_blocks.${i}`);
  }

  // 6. post-process
  h = conv2d(silu(groupNorm(h, 'conv_norm_out', cfg.norm_num_groups, { eps: cfg.norm_eps })), 'conv_out', cfg.out_channels, { kernel: 3, padding: 1 });
  g.output(op.Cast(h, io), 'noise_pred');
  return g;
}
