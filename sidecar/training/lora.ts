// LoRA adapters on the UNet graph (Hu et al. 2021): a target linear layer y = W x + b becomes
//   y = W x + b + (alpha / rank) · up(down(x)),   down [rank, in], up [out, rank], no bias,
// as peft's LoraConfig(r, lora_alpha, target_modules) does for diffusers' train_dreambooth_lora.py.
// The adapter weights are trainable graph parameters (graph inputs the runtime keeps on the device);
// the base weights stay frozen initializers, and autodiff walks only what depends on the adapters,
// so no weight gradient is ever formed for them.
//
// The adapters are added as the model is built, by TrainGraph (train-graph.ts); this file holds what
// names them: the targets, the spec, and kohya's file names (what AUTOMATIC1111 and ComfyUI load).
import type { Value } from '../graph/types';

/** diffusers' default targets for DreamBooth LoRA: the attention projections. */
export const ATTENTION_TARGETS = ['to_q', 'to_k', 'to_v', 'to_out.0'] as const;
/** The text encoder's attention projections (train_dreambooth_lora.py with --train_text_encoder). */
export const TEXT_ENCODER_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'out_proj'] as const;
/** Scope of the text encoder inside a training graph: its parameters are `text_encoder.<diffusers key>`. */
export const TEXT_ENCODER_SCOPE = 'text_encoder';

export interface LoraSpec {
  rank: number;
  alpha: number;
  /** Module names (the last part(s) of a module path) that get adapters. */
  targets: readonly string[];
}

/** One adapted linear layer. `path` is the diffusers module path, e.g. `mid_block.attentions.0.transformer_blocks.0.attn1.to_q`. */
export interface LoraModuleParams {
  path: string;
  down: Value<'Param'>;
  up: Value<'Param'>;
  inFeatures: number;
  outFeatures: number;
}

export function isTarget(path: string, targets: readonly string[]): boolean {
  return targets.some((t) => path === t || path.endsWith(`.${t}`));
}

// ── kohya names (what AUTOMATIC1111, ComfyUI and `generate --lora` load) ──────────────────────────

export const KOHYA_UNET_PREFIX = 'lora_unet_';
export const KOHYA_TE_PREFIX = 'lora_te_';

/** A module path of a training graph → kohya's module name (`lora_te_…` inside the text encoder's scope). */
export function kohyaBase(path: string): string {
  const te = `${TEXT_ENCODER_SCOPE}.`;
  return path.startsWith(te) ? KOHYA_TE_PREFIX + path.slice(te.length).replaceAll('.', '_') : KOHYA_UNET_PREFIX + path.replaceAll('.', '_');
}
export function kohyaKeys(path: string): { down: string; up: string; alpha: string } {
  const b = kohyaBase(path);
  return { down: `${b}.lora_down.weight`, up: `${b}.lora_up.weight`, alpha: `${b}.alpha` };
}
