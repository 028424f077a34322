// The world base model's architecture: a tiny Stable Diffusion 1.x in the diffusers folder layout,
// with the standard class names, so our loader and diffusers' from_pretrained both read it.
// 64×64 images; a 3-level VAE (factor 4) gives 16×16×4 latents; a UNet of 1.5 M parameters with
// cross-attention at its two finer levels; a 2-layer CLIP text encoder of width 64 with CLIP's real
// 49,408-token vocabulary and tokenizer (the world's words are single tokens). Sizes chosen by step
// time on 2 CPU cores (world/base/README.md).
import { SD1_SCHEDULER_CONFIG } from '../../sidecar/weights/sd1-standard-configs';

export const IMAGE_SIZE = 64;
export const LATENT_SIZE = 16;

export const MODEL_INDEX = {
  _class_name: 'StableDiffusionPipeline',
  _diffusers_version: '0.27.2',
  feature_extractor: [null, null],
  image_encoder: [null, null],
  requires_safety_checker: false,
  safety_checker: [null, null],
  scheduler: ['diffusers', 'PNDMScheduler'],
  text_encoder: ['transformers', 'CLIPTextModel'],
  tokenizer: ['transformers', 'CLIPTokenizer'],
  unet: ['diffusers', 'UNet2DConditionModel'],
  vae: ['diffusers', 'AutoencoderKL'],
};

/** SD 1.5's scheduler config (1000 DDPM steps, scaled_linear 0.00085 → 0.012), with v-prediction as
 *  SD 2.x (unet-train.ts says why). */
export const SCHEDULER = {
  ...SD1_SCHEDULER_CONFIG,
  _diffusers_version: '0.27.2',
  prediction_type: 'v_prediction',
  timestep_spacing: 'leading',
};

export const TEXT_ENCODER = {
  architectures: ['CLIPTextModel'],
  attention_dropout: 0.0,
  bos_token_id: 49406,
  eos_token_id: 49407,
  hidden_act: 'quick_gelu',
  hidden_size: 64,
  initializer_factor: 1.0,
  initializer_range: 0.02,
  intermediate_size: 256,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 77,
  model_type: 'clip_text_model',
  num_attention_heads: 4,
  num_hidden_layers: 2,
  pad_token_id: 1,
  projection_dim: 64,
  torch_dtype: 'float32',
  transformers_version: '4.38.0',
  vocab_size: 49408,
};

export const UNET = {
  _class_name: 'UNet2DConditionModel',
  _diffusers_version: '0.27.2',
  act_fn: 'silu',
  attention_head_dim: 4,
  block_out_channels: [32, 64, 64],
  center_input_sample: false,
  cross_attention_dim: TEXT_ENCODER.hidden_size,
  down_block_types: ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  downsample_padding: 1,
  flip_sin_to_cos: true,
  freq_shift: 0,
  in_channels: 4,
  layers_per_block: 1,
  mid_block_scale_factor: 1,
  norm_eps: 1e-5,
  norm_num_groups: 32,
  out_channels: 4,
  sample_size: LATENT_SIZE,
  up_block_types: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
  use_linear_projection: false,
};

/** scaling_factor is replaced by the measured 1/std of the training set's latents (vae-train.ts). */
export const VAE = {
  _class_name: 'AutoencoderKL',
  _diffusers_version: '0.27.2',
  act_fn: 'silu',
  block_out_channels: [16, 32, 64],
  down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'],
  force_upcast: true,
  in_channels: 3,
  latent_channels: 4,
  layers_per_block: 1,
  norm_num_groups: 16,
  out_channels: 3,
  sample_size: IMAGE_SIZE,
  scaling_factor: 1,
  up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
};
