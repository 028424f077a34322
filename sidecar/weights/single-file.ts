// A single-file checkpoint in the original (CompVis/ldm) layout, .safetensors or torch.save .ckpt:
// every key renamed to diffusers names through the one table in sd1-keymap.ts; other model families
// are recognised and refused by name. Its configs: --configs-from, else those our exports store in the
// file's metadata (stored-configs.ts), else SD 1.x's standard ones.
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { readWeightIndex } from './weight-index';
import { Sd1KeyMap, isIgnorableOriginalKey, isVaeAttentionProjection, keymapShapeOf, type Component } from './sd1-keymap';
import type { ComponentWeights, SdCheckpoint, WeightIndex } from './checkpoint-types';
import { ModelLoadError } from './load-errors';
import { SD1_SCHEDULER_CONFIG, SD1_TEXT_ENCODER_CONFIG, SD1_UNET_CONFIG, SD1_VAE_CONFIG } from './sd1-standard-configs';
import { parseClipTextConfig, parseUNetConfig, parseVaeConfig } from '../models/configs';
import { bundledTokenizerDir } from './bundled';
import { type ModelConfigs, readConfigsFolder, storedConfigs } from './stored-configs';

/** Key prefixes of other model families, with what they are. The first match wins. */
const OTHER_FAMILIES: [string, string][] = [
  ['conditioner.embedders.', 'an SDXL checkpoint (it has conditioner.embedders.*)'],
  ['cond_stage_model.model.', 'a Stable Diffusion 2.x checkpoint (its text encoder is OpenCLIP: cond_stage_model.model.*)'],
  ['model.diffusion_model.joint_blocks.', 'a Stable Diffusion 3 checkpoint'],
  ['double_blocks.', 'a FLUX checkpoint'],
  ['lora_unet_', 'a LoRA file, not a full model (use it as a LoRA on top of a base model)'],
];

function detectFamily(index: WeightIndex): void {
  const keys = [...index.tensors.keys()];
  for (const [prefix, what] of OTHER_FAMILIES)
    if (keys.some((k) => k.startsWith(prefix))) throw new ModelLoadError(`${index.path}: this is ${what}; only Stable Diffusion 1.x checkpoints are supported`);
  if (!keys.some((k) => k.startsWith('model.diffusion_model.'))) {
    const prefixes = [...new Set(keys.map((k) => k.split('.').slice(0, 2).join('.')))].slice(0, 6);
    throw new ModelLoadError(
      `${index.path}: not a Stable Diffusion 1.x checkpoint: no model.diffusion_model.* keys (found ${index.tensors.size} tensors under ${prefixes.join(', ')}${prefixes.length === 6 ? ', ...' : ''})`,
    );
  }
}

/**
 * Older checkpoints store the CLIP text model without transformers' `text_model.` level
 * (`cond_stage_model.transformer.embeddings...`); those keys gain it here.
 */
function normaliseKey(key: string): string {
  const p = 'cond_stage_model.transformer.';
  if (key.startsWith(p) && !key.startsWith(`${p}text_model.`)) return `${p}text_model.${key.slice(p.length)}`;
  return key;
}

export async function openSingleFile(path: string, configsFrom?: string): Promise<SdCheckpoint> {
  // The real file (not a symlink to it) is what gets hard-linked beside the staged model.
  const index = await readWeightIndex(await realpath(path));
  detectFamily(index);
  const stored = configsFrom ? undefined : storedConfigs(index.metadata, path);
  const configs: ModelConfigs = configsFrom
    ? await readConfigsFolder(configsFrom)
    : (stored ?? { unet: SD1_UNET_CONFIG, vae: SD1_VAE_CONFIG, text_encoder: SD1_TEXT_ENCODER_CONFIG, scheduler: SD1_SCHEDULER_CONFIG });
  const where = configsFrom ? `config from ${configsFrom}` : stored ? 'configs stored in the file' : 'standard SD 1.x config';
  const tokenizerDir = configsFrom ? join(configsFrom, 'tokenizer') : bundledTokenizerDir();
  const { unet: unetRaw, vae: vaeRaw, text_encoder: teRaw, scheduler } = configs;
  const prediction = scheduler.prediction_type === 'v_prediction' ? 'v_prediction' : 'epsilon';
  const unet = parseUNetConfig(unetRaw, `${where} (unet)`, prediction);
  const vae = parseVaeConfig(vaeRaw, `${where} (vae)`);
  const textEncoder = parseClipTextConfig(teRaw, `${where} (text_encoder)`);
  const map = new Sd1KeyMap(keymapShapeOf(unet, vae));

  const weights: Record<Component, ComponentWeights> = {
    unet: { component: 'unet', source: path, tensors: new Map() },
    vae: { component: 'vae', source: path, tensors: new Map() },
    text_encoder: { component: 'text_encoder', source: path, tensors: new Map() },
  };
  const unknown: string[] = [];
  for (const e of index.tensors.values()) {
    const key = normaliseKey(e.name);
    if (isIgnorableOriginalKey(key)) continue;
    const d = map.toDiffusers(key);
    if (!d) {
      unknown.push(e.name);
      continue;
    }
    // The VAE attention projections are 1x1 convs in this layout: drop the trailing [1, 1].
    const shape = isVaeAttentionProjection(d.component, d.key) && e.shape.length === 4 && e.shape[2] === 1 && e.shape[3] === 1 ? e.shape.slice(0, 2) : e.shape;
    weights[d.component].tensors.set(d.key, {
      file: index.path,
      sourceKey: e.name,
      dtype: e.dtype,
      shape,
      storedShape: e.shape,
      offset: e.offset,
      length: e.length,
    });
  }
  if (unknown.length)
    throw new ModelLoadError(
      `${path}: ${unknown.length} key(s) do not belong to an SD 1.x model with the ${where}: ${unknown.slice(0, 8).join(', ')}${unknown.length > 8 ? ', ...' : ''}`,
    );
  return { layout: 'single-file', path, unet, vae, textEncoder, scheduler, tokenizerDir, configsFrom, weights };
}
