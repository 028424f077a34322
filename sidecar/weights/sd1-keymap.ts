// THE rename table between the original single-file SD 1.x layout (CompVis/ldm, as read by AUTOMATIC1111
// and ComfyUI) and diffusers names, plus the legacy diffusers VAE attention names and kohya LoRA module
// names (at the end). Every rename in the project lives here; model code only ever sees diffusers names.
// The table is generated from the architecture (blocks, layers per block, which blocks have attention),
// so it covers any SD 1.x-shaped config, not only SD 1.5's sizes; at SD 1.5's sizes it
// equals diffusers' convert_diffusers_to_original_stable_diffusion.py (checked against
// fixtures/sd15-keys.json in test/weights/layout-keymap.test.ts).

import type { UNetConfig, VaeConfig } from '../models/configs';

export type Component = 'unet' | 'vae' | 'text_encoder';

/** Where a component lives in a single-file checkpoint. */
export const ORIGINAL_PREFIX: Record<Component, string> = {
  unet: 'model.diffusion_model.',
  vae: 'first_stage_model.',
  text_encoder: 'cond_stage_model.transformer.',
};

/** Renames applied to the key remainder after a block prefix, by kind of block. [diffusers, original]. */
const INNER = {
  plain: [],
  unet_resnet: [
    ['norm1.', 'in_layers.0.'],
    ['conv1.', 'in_layers.2.'],
    ['norm2.', 'out_layers.0.'],
    ['conv2.', 'out_layers.3.'],
    ['time_emb_proj.', 'emb_layers.1.'],
    ['conv_shortcut.', 'skip_connection.'],
  ],
  vae_resnet: [['conv_shortcut.', 'nin_shortcut.']],
  // The VAE's mid-block attention: linear layers in diffusers, 1x1 convolutions in the original.
  vae_attention: [
    ['group_norm.', 'norm.'],
    ['to_q.', 'q.'],
    ['to_k.', 'k.'],
    ['to_v.', 'v.'],
    ['to_out.0.', 'proj_out.'],
  ],
} satisfies Record<string, [string, string][]>;
type InnerKind = keyof typeof INNER;

/** One block: its prefix in both layouts and how names inside it change. */
export interface PrefixRule {
  diffusers: string;
  original: string;
  inner: InnerKind;
}

/** The architecture facts the table depends on (derived from the configs in `keymapShapeOf`). */
export interface KeymapShape {
  unet: { layersPerBlock: number[]; downHasAttention: boolean[]; upHasAttention: boolean[]; midAttentions: number };
  vae: { blocks: number; layersPerBlock: number };
}

function unetRules(s: KeymapShape['unet']): PrefixRule[] {
  const rules: PrefixRule[] = [
    { diffusers: 'conv_in.', original: 'input_blocks.0.0.', inner: 'plain' },
    { diffusers: 'time_embedding.linear_1.', original: 'time_embed.0.', inner: 'plain' },
    { diffusers: 'time_embedding.linear_2.', original: 'time_embed.2.', inner: 'plain' },
    { diffusers: 'conv_norm_out.', original: 'out.0.', inner: 'plain' },
    { diffusers: 'conv_out.', original: 'out.2.', inner: 'plain' },
  ];
  const n = s.layersPerBlock.length;
  // input_blocks: 0 is conv_in, then one entry per resnet(+attention), then one per downsampler.
  let input = 1;
  for (const [i, layers] of s.layersPerBlock.entries()) {
    for (let j = 0; j < layers; j++, input++) {
      rules.push({ diffusers: `down_blocks.${i}.resnets.${j}.`, original: `input_blocks.${input}.0.`, inner: 'unet_resnet' });
      if (s.downHasAttention[i]) rules.push({ diffusers: `down_blocks.${i}.attentions.${j}.`, original: `input_blocks.${input}.1.`, inner: 'plain' });
    }
    if (i < n - 1) rules.push({ diffusers: `down_blocks.${i}.downsamplers.0.conv.`, original: `input_blocks.${input++}.0.op.`, inner: 'plain' });
  }
  // middle_block: resnet, (attention, resnet)*
  rules.push({ diffusers: 'mid_block.resnets.0.', original: 'middle_block.0.', inner: 'unet_resnet' });
  for (let j = 0; j < s.midAttentions; j++) {
    rules.push({ diffusers: `mid_block.attentions.${j}.`, original: `middle_block.${2 * j + 1}.`, inner: 'plain' });
    rules.push({ diffusers: `mid_block.resnets.${j + 1}.`, original: `middle_block.${2 * j + 2}.`, inner: 'unet_resnet' });
  }
  // output_blocks: one entry per up resnet(+attention); the upsampler rides in the block's last entry.
  let output = 0;
  for (const [i, downLayers] of [...s.layersPerBlock].reverse().entries()) {
    const layers = downLayers + 1;
    for (let j = 0; j < layers; j++, output++) {
      rules.push({ diffusers: `up_blocks.${i}.resnets.${j}.`, original: `output_blocks.${output}.0.`, inner: 'unet_resnet' });
      if (s.upHasAttention[i]) rules.push({ diffusers: `up_blocks.${i}.attentions.${j}.`, original: `output_blocks.${output}.1.`, inner: 'plain' });
      if (j === layers - 1 && i < n - 1)
        rules.push({ diffusers: `up_blocks.${i}.upsamplers.0.`, original: `output_blocks.${output}.${s.upHasAttention[i] ? 2 : 1}.`, inner: 'plain' });
    }
  }
  return rules;
}

function vaeRules(s: KeymapShape['vae']): PrefixRule[] {
  const rules: PrefixRule[] = [];
  for (const part of ['encoder', 'decoder']) {
    rules.push({ diffusers: `${part}.conv_in.`, original: `${part}.conv_in.`, inner: 'plain' });
    rules.push({ diffusers: `${part}.conv_out.`, original: `${part}.conv_out.`, inner: 'plain' });
    rules.push({ diffusers: `${part}.conv_norm_out.`, original: `${part}.norm_out.`, inner: 'plain' });
    rules.push({ diffusers: `${part}.mid_block.resnets.0.`, original: `${part}.mid.block_1.`, inner: 'vae_resnet' });
    rules.push({ diffusers: `${part}.mid_block.resnets.1.`, original: `${part}.mid.block_2.`, inner: 'vae_resnet' });
    rules.push({ diffusers: `${part}.mid_block.attentions.0.`, original: `${part}.mid.attn_1.`, inner: 'vae_attention' });
  }
  rules.push({ diffusers: 'quant_conv.', original: 'quant_conv.', inner: 'plain' });
  rules.push({ diffusers: 'post_quant_conv.', original: 'post_quant_conv.', inner: 'plain' });
  const n = s.blocks;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < s.layersPerBlock; j++)
      rules.push({ diffusers: `encoder.down_blocks.${i}.resnets.${j}.`, original: `encoder.down.${i}.block.${j}.`, inner: 'vae_resnet' });
    if (i < n - 1) rules.push({ diffusers: `encoder.down_blocks.${i}.downsamplers.0.`, original: `encoder.down.${i}.downsample.`, inner: 'plain' });
    // The original decoder counts its up blocks from the lowest resolution's end: up.{n-1-i}.
    for (let j = 0; j < s.layersPerBlock + 1; j++)
      rules.push({ diffusers: `decoder.up_blocks.${i}.resnets.${j}.`, original: `decoder.up.${n - 1 - i}.block.${j}.`, inner: 'vae_resnet' });
    if (i < n - 1) rules.push({ diffusers: `decoder.up_blocks.${i}.upsamplers.0.`, original: `decoder.up.${n - 1 - i}.upsample.`, inner: 'plain' });
  }
  return rules;
}

/** The text encoder is stored whole under one prefix: no renames inside. */
const TEXT_RULES: PrefixRule[] = [{ diffusers: 'text_model.', original: 'text_model.', inner: 'plain' }];

function applyInner(rest: string, kind: InnerKind, from: 0 | 1): string {
  for (const pair of INNER[kind]) if (rest.startsWith(pair[from])) return pair[from === 0 ? 1 : 0] + rest.slice(pair[from].length);
  return rest;
}

/** Longest-prefix lookup, so that e.g. `output_blocks.2.1.` (an upsampler) never matches a shorter rule. */
function convert(key: string, rules: PrefixRule[], from: 'diffusers' | 'original'): string | undefined {
  let best: PrefixRule | undefined;
  for (const r of rules) if (key.startsWith(r[from]) && (!best || r[from].length > best[from].length)) best = r;
  if (!best) return undefined;
  const to = from === 'diffusers' ? 'original' : 'diffusers';
  return best[to] + applyInner(key.slice(best[from].length), best.inner, from === 'diffusers' ? 0 : 1);
}

export class Sd1KeyMap {
  private readonly rules: Record<Component, PrefixRule[]>;
  constructor(shape: KeymapShape) {
    this.rules = { unet: unetRules(shape.unet), vae: vaeRules(shape.vae), text_encoder: TEXT_RULES };
  }

  /** diffusers key of `component` → full original key, or undefined when no rule covers it. */
  toOriginal(component: Component, key: string): string | undefined {
    const k = convert(key, this.rules[component], 'diffusers');
    return k === undefined ? undefined : ORIGINAL_PREFIX[component] + k;
  }

  /** full original key → [component, diffusers key], or undefined for keys outside the three networks. */
  toDiffusers(key: string): { component: Component; key: string } | undefined {
    for (const component of Object.keys(ORIGINAL_PREFIX) as Component[]) {
      const prefix = ORIGINAL_PREFIX[component];
      if (!key.startsWith(prefix)) continue;
      const k = convert(key.slice(prefix.length), this.rules[component], 'original');
      return k === undefined ? undefined : { component, key: k };
    }
    return undefined;
  }
}

/**
 * The original layout stores the VAE attention projections as 1x1 convolutions ([C, C, 1, 1]); diffusers
 * as linear layers ([C, C]). Same bytes, so only the declared shape differs.
 */
export function isVaeAttentionProjection(component: Component, diffusersKey: string): boolean {
  return component === 'vae' && /mid_block\.attentions\.\d+\.(to_q|to_k|to_v|to_out\.0)\.weight$/.test(diffusersKey);
}

/** Keys that appear in original checkpoints but are not network weights (EMA copies, schedule buffers, ids). */
export function isIgnorableOriginalKey(key: string): boolean {
  if (key.startsWith('model_ema.')) return true;
  if (key === 'cond_stage_model.transformer.text_model.embeddings.position_ids') return true;
  if (key.endsWith('.position_ids')) return true;
  // Schedule buffers (betas, alphas_cumprod, ...) and other top-level scalars live outside the prefixes.
  return !Object.values(ORIGINAL_PREFIX).some((p) => key.startsWith(p));
}

/** The facts the key table needs, read from the configs. */
export function keymapShapeOf(unet: UNetConfig, vae: VaeConfig): KeymapShape {
  return {
    unet: {
      layersPerBlock: unet.layers_per_block,
      downHasAttention: unet.down_block_types.map((t) => t === 'CrossAttnDownBlock2D'),
      upHasAttention: unet.up_block_types.map((t) => t === 'CrossAttnUpBlock2D'),
      midAttentions: 1,
    },
    vae: { blocks: vae.block_out_channels.length, layersPerBlock: vae.layers_per_block },
  };
}

/**
 * diffusers folders saved before diffusers 0.14 name the VAE's mid-block attention query/key/value/
 * proj_attn; current diffusers (and our model) call them to_q/to_k/to_v/to_out.0. Renamed on load, as
 * diffusers does.
 */
const LEGACY_VAE_ATTENTION: [legacy: string, current: string][] = [
  ['.query.', '.to_q.'],
  ['.key.', '.to_k.'],
  ['.value.', '.to_v.'],
  ['.proj_attn.', '.to_out.0.'],
];

export function currentVaeKey(key: string): string {
  if (!/mid_block\.attentions\.\d+\./.test(key)) return key;
  for (const [legacy, current] of LEGACY_VAE_ATTENTION) if (key.includes(legacy)) return key.replace(legacy, current);
  return key;
}

/** kohya LoRA module-name prefixes (lora_unet_<module path with '.' → '_'>, lora_te_<...>). */
export const KOHYA_PREFIX: Partial<Record<Component, string>> = { unet: 'lora_unet_', text_encoder: 'lora_te_' };

/**
 * kohya module name → the diffusers weight key it modifies, among `weightKeys` of the component (each
 * `<module path>.weight`). The '_' form is ambiguous on its own (to_out_0, transformer_blocks), so it is
 * resolved against the model's real keys. Text-encoder names keep transformers' `text_model.` level
 * (`lora_te_text_model_encoder_layers_0_self_attn_q_proj`), as kohya's scripts write them and
 * AUTOMATIC1111 and diffusers' kohya converter read them.
 */
export function kohyaTargets(component: Component, weightKeys: Iterable<string>): Map<string, string> {
  const prefix = KOHYA_PREFIX[component];
  const out = new Map<string, string>();
  if (!prefix) return out;
  for (const key of weightKeys) {
    if (!key.endsWith('.weight')) continue;
    const module = key.slice(0, -'.weight'.length);
    out.set(prefix + module.replace(/\./g, '_'), key);
  }
  return out;
}
