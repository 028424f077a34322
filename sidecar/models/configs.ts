// Typed configs for the three SD 1.x networks, read from the checkpoint's own config.json. Field
// names follow diffusers/transformers; per-block fields are expanded to lists here (and only here).
import { ConfigReader, ConfigError, type JsonObject, blockEntry } from './config-check';

export const DOWN_BLOCK_TYPES = ['CrossAttnDownBlock2D', 'DownBlock2D'] as const;
export const UP_BLOCK_TYPES = ['CrossAttnUpBlock2D', 'UpBlock2D'] as const;
export const MID_BLOCK_TYPES = ['UNetMidBlock2DCrossAttn'] as const;
export type DownBlockType = (typeof DOWN_BLOCK_TYPES)[number];
export type UpBlockType = (typeof UP_BLOCK_TYPES)[number];

export interface UNetConfig {
  sample_size: number;
  in_channels: number;
  out_channels: number;
  center_input_sample: boolean;
  flip_sin_to_cos: boolean;
  freq_shift: number;
  down_block_types: DownBlockType[];
  mid_block_type: (typeof MID_BLOCK_TYPES)[number];
  up_block_types: UpBlockType[];
  block_out_channels: number[];
  /** per down block; up block i has layers_per_block[reversed i] + 1 resnets. */
  layers_per_block: number[];
  downsample_padding: number;
  mid_block_scale_factor: number;
  act_fn: 'silu';
  norm_num_groups: number;
  norm_eps: number;
  cross_attention_dim: number[];
  transformer_layers_per_block: number[];
  /**
   * Number of attention heads per block. diffusers' config calls this `attention_head_dim` for SD 1.x/2.x
   * (a historical misnomer it keeps for compatibility); `num_attention_heads` wins when present.
   */
  num_attention_heads: number[];
  only_cross_attention: boolean[];
  use_linear_projection: boolean;
  upcast_attention: boolean;
  resnet_out_scale_factor: number;
  prediction_type: 'epsilon' | 'v_prediction';
}

/** Width of the text context the UNet attends to (its first block's cross_attention_dim). */
export function contextDim(cfg: UNetConfig): number {
  return blockEntry(cfg.cross_attention_dim, 0, 'cross_attention_dim');
}

export interface VaeConfig {
  in_channels: number;
  out_channels: number;
  down_block_types: 'DownEncoderBlock2D'[];
  up_block_types: 'UpDecoderBlock2D'[];
  block_out_channels: number[];
  layers_per_block: number;
  act_fn: 'silu';
  latent_channels: number;
  norm_num_groups: number;
  sample_size: number;
  scaling_factor: number;
  mid_block_add_attention: boolean;
}

export interface ClipTextConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  max_position_embeddings: number;
  hidden_act: 'quick_gelu' | 'gelu';
  layer_norm_eps: number;
  eos_token_id: number;
}

function checkGroups(r: ConfigReader, channels: number[], groups: number): void {
  for (const c of channels)
    if (c % groups !== 0) throw new ConfigError(`${r.source}: norm_num_groups ${groups} does not divide block channel count ${c} (block_out_channels ${JSON.stringify(channels)})`);
}

/** `predictionType` comes from the scheduler config (diffusers keeps it there, not in the UNet's). */
export function parseUNetConfig(raw: JsonObject, source: string, predictionType: 'epsilon' | 'v_prediction' = 'epsilon'): UNetConfig {
  const r = new ConfigReader(raw, source);
  r.mustBe('addition_embed_type', [null], 'this is an SDXL-style UNet; only SD 1.x is supported');
  r.mustBe('class_embed_type', [null], 'class-conditioned UNets are not SD 1.x');
  r.mustBe('time_embedding_type', [null, 'positional'], 'SD 1.x uses positional timestep embeddings');
  r.mustBe('resnet_time_scale_shift', [null, 'default'], 'SD 1.x adds the time embedding');
  r.mustBe('encoder_hid_dim_type', [null], 'SD 1.x has no encoder projection');
  r.mustBe('time_cond_proj_dim', [null], 'SD 1.x has no timestep conditioning projection');
  r.mustBe('dual_cross_attention', [null, false], 'not used by SD 1.x');
  r.mustBe('conv_in_kernel', [null, 3], 'SD 1.x uses 3x3 in/out convolutions');
  r.mustBe('conv_out_kernel', [null, 3], 'SD 1.x uses 3x3 in/out convolutions');
  r.mustBe('resnet_skip_time_act', [null, false], 'not used by SD 1.x');
  r.mustBe('attention_type', [null, 'default'], 'not used by SD 1.x');
  r.mustBe('act_fn', [null, 'silu'], 'SD 1.x uses SiLU');
  r.sameLength('block_out_channels', 'down_block_types');
  r.sameLength('block_out_channels', 'up_block_types');
  const block_out_channels = r.intList('block_out_channels');
  const n = block_out_channels.length;
  const down = r.strList('down_block_types');
  const up = r.strList('up_block_types');
  for (const t of down) if (!DOWN_BLOCK_TYPES.includes(t as DownBlockType)) throw new ConfigError(`${source}: unknown down block type "${t}"; supported: ${DOWN_BLOCK_TYPES.join(', ')}`);
  for (const t of up) if (!UP_BLOCK_TYPES.includes(t as UpBlockType)) throw new ConfigError(`${source}: unknown up block type "${t}"; supported: ${UP_BLOCK_TYPES.join(', ')}`);
  const heads = r.has('num_attention_heads') ? r.perBlock<number>('num_attention_heads', n, 'int') : r.perBlock<number>('attention_head_dim', n, 'int', 8);
  const norm_num_groups = r.int('norm_num_groups', 32);
  checkGroups(r, block_out_channels, norm_num_groups);
  block_out_channels.forEach((c, i) => {
    const isAttn = down[i] === 'CrossAttnDownBlock2D' || up[n - 1 - i] === 'CrossAttnUpBlock2D';
    if (isAttn && c % blockEntry(heads, i, 'num_attention_heads') !== 0) throw new ConfigError(`${source}: block ${i} has ${c} channels, not divisible by its ${heads[i]} attention heads`);
  });
  return {
    sample_size: r.int('sample_size', 64),
    in_channels: r.int('in_channels', 4),
    out_channels: r.int('out_channels', 4),
    center_input_sample: r.bool('center_input_sample', false),
    flip_sin_to_cos: r.bool('flip_sin_to_cos', true),
    freq_shift: r.num('freq_shift', 0),
    down_block_types: down as DownBlockType[],
    mid_block_type: r.str('mid_block_type', MID_BLOCK_TYPES, 'UNetMidBlock2DCrossAttn'),
    up_block_types: up as UpBlockType[],
    block_out_channels,
    layers_per_block: r.perBlock<number>('layers_per_block', n, 'int', 2),
    downsample_padding: r.int('downsample_padding', 1),
    mid_block_scale_factor: r.num('mid_block_scale_factor', 1),
    act_fn: 'silu',
    norm_num_groups,
    norm_eps: r.num('norm_eps', 1e-5),
    cross_attention_dim: r.perBlock<number>('cross_attention_dim', n, 'int', 768),
    transformer_layers_per_block: r.perBlock<number>('transformer_layers_per_block', n, 'int', 1),
    num_attention_heads: heads,
    only_cross_attention: r.perBlock<boolean>('only_cross_attention', n, 'bool', false),
    use_linear_projection: r.bool('use_linear_projection', false),
    upcast_attention: r.bool('upcast_attention', false),
    resnet_out_scale_factor: r.num('resnet_out_scale_factor', 1),
    prediction_type: predictionType,
  };
}

export function parseVaeConfig(raw: JsonObject, source: string): VaeConfig {
  const r = new ConfigReader(raw, source);
  r.mustBe('act_fn', [null, 'silu'], 'SD 1.x uses SiLU');
  r.mustBe('latents_mean', [null], 'SDXL/SD3-style latent normalisation is not SD 1.x');
  r.mustBe('use_quant_conv', [null, true], 'SD 1.x has quant convs');
  r.sameLength('block_out_channels', 'down_block_types');
  r.sameLength('block_out_channels', 'up_block_types');
  const block_out_channels = r.intList('block_out_channels');
  const down = r.strList('down_block_types');
  const up = r.strList('up_block_types');
  for (const t of down) if (t !== 'DownEncoderBlock2D') throw new ConfigError(`${source}: unknown VAE down block type "${t}"; supported: DownEncoderBlock2D`);
  for (const t of up) if (t !== 'UpDecoderBlock2D') throw new ConfigError(`${source}: unknown VAE up block type "${t}"; supported: UpDecoderBlock2D`);
  const norm_num_groups = r.int('norm_num_groups', 32);
  checkGroups(r, block_out_channels, norm_num_groups);
  return {
    in_channels: r.int('in_channels', 3),
    out_channels: r.int('out_channels', 3),
    down_block_types: down as 'DownEncoderBlock2D'[],
    up_block_types: up as 'UpDecoderBlock2D'[],
    block_out_channels,
    layers_per_block: r.int('layers_per_block', 2),
    act_fn: 'silu',
    latent_channels: r.int('latent_channels', 4),
    norm_num_groups,
    sample_size: r.int('sample_size', 512),
    scaling_factor: r.num('scaling_factor', 0.18215),
    mid_block_add_attention: r.bool('mid_block_add_attention', true),
  };
}

export function parseClipTextConfig(raw: JsonObject, source: string): ClipTextConfig {
  const r = new ConfigReader(raw, source);
  const hidden_size = r.int('hidden_size', 768);
  const num_attention_heads = r.int('num_attention_heads', 12);
  if (hidden_size % num_attention_heads !== 0)
    throw new ConfigError(`${source}: hidden_size ${hidden_size} is not divisible by num_attention_heads ${num_attention_heads}`);
  return {
    vocab_size: r.int('vocab_size', 49408),
    hidden_size,
    intermediate_size: r.int('intermediate_size', 3072),
    num_hidden_layers: r.int('num_hidden_layers', 12),
    num_attention_heads,
    max_position_embeddings: r.int('max_position_embeddings', 77),
    hidden_act: r.str('hidden_act', ['quick_gelu', 'gelu'], 'quick_gelu'),
    layer_norm_eps: r.num('layer_norm_eps', 1e-5),
    eos_token_id: r.int('eos_token_id', 2),
  };
}
