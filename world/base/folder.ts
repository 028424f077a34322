// The model as a diffusers folder: model_index.json, scheduler/, tokenizer/ (CLIP's, copied from the
// bundled fixture), and each network's config.json + weights (.safetensors, float32 while training,
// float16 for the committed model). Parameter names and shapes come from our own model builders, so
// the folder always matches what the sidecar builds from these configs.
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTextEncoder } from '../../sidecar/models/clip_text_model';
import { buildUNet } from '../../sidecar/models/unet_2d_condition';
import { buildVaeDecoder, buildVaeEncoder } from '../../sidecar/models/autoencoder_kl';
import { parseClipTextConfig, parseUNetConfig, parseVaeConfig } from '../../sidecar/models/configs';
import type { JsonObject } from '../../sidecar/models/config-check';
import { f32ArrayToF16, writeSafetensors, type StWriteTensor } from '../../sidecar/weights/safetensors';
import { IMAGE_SIZE, LATENT_SIZE, MODEL_INDEX, SCHEDULER, TEXT_ENCODER, UNET, VAE } from './config';
import { clipTextInit, type ParamShape, torchDefaultInit } from './init';

export const TOKENIZER_SOURCE = join(__dirname, '../../fixtures/tiny-sd/tokenizer');
export type Component = 'unet' | 'vae' | 'text_encoder';
export const WEIGHT_FILE: Record<Component, string> = { unet: 'diffusion_pytorch_model.safetensors', vae: 'diffusion_pytorch_model.safetensors', text_encoder: 'model.safetensors' };

const json = (o: unknown) => JSON.stringify(o, null, 2) + '\n';
const shapes = (ps: { name: string; shape: readonly (number | string)[] }[]): ParamShape[] => ps.map((p) => ({ name: p.name, shape: p.shape as number[] }));

export const unetConfig = () => parseUNetConfig(UNET as unknown as JsonObject, 'world base unet');
export const vaeConfig = (scaling = VAE.scaling_factor) => parseVaeConfig({ ...VAE, scaling_factor: scaling } as unknown as JsonObject, 'world base vae');
export const textConfig = () => parseClipTextConfig(TEXT_ENCODER as unknown as JsonObject, 'world base text encoder');

/** Every parameter of a component, as our builders name and shape it (= the checkpoint keys). */
export function componentParams(c: Component): ParamShape[] {
  if (c === 'unet') return shapes(buildUNet(unetConfig(), { batch: 1, height: LATENT_SIZE, width: LATENT_SIZE }).params);
  if (c === 'text_encoder') return shapes(buildTextEncoder(textConfig(), { batch: 1 }).params);
  const v = vaeConfig();
  return [...shapes(buildVaeEncoder(v, { batch: 1, height: IMAGE_SIZE, width: IMAGE_SIZE }).params), ...shapes(buildVaeDecoder(v, { batch: 1, height: LATENT_SIZE, width: LATENT_SIZE }).params)];
}

/** Fresh weights of every component (seeded; init.ts). */
export function initialWeights(seed: number): Record<Component, Map<string, Float32Array>> {
  return {
    unet: torchDefaultInit(componentParams('unet'), seed),
    vae: torchDefaultInit(componentParams('vae'), seed + 1),
    text_encoder: clipTextInit(componentParams('text_encoder'), seed + 2, { hidden: TEXT_ENCODER.hidden_size, layers: TEXT_ENCODER.num_hidden_layers }),
  };
}

export async function writeComponent(dir: string, c: Component, weights: Map<string, Float32Array>, o: { half?: boolean; scalingFactor?: number; metadata?: Record<string, string> } = {}): Promise<void> {
  const sub = join(dir, c);
  await mkdir(sub, { recursive: true });
  const config = c === 'unet' ? UNET : c === 'text_encoder' ? TEXT_ENCODER : { ...VAE, scaling_factor: o.scalingFactor ?? VAE.scaling_factor };
  await writeFile(join(sub, 'config.json'), json(config));
  const tensors: Record<string, StWriteTensor> = {};
  for (const { name, shape } of componentParams(c)) {
    const w = weights.get(name);
    if (!w) throw new Error(`world base: no weights for ${c} "${name}"`);
    tensors[name] = o.half ? { dtype: 'F16', shape: [...shape], data: f32ArrayToF16(w) } : { dtype: 'F32', shape: [...shape], data: w };
  }
  await writeSafetensors(join(sub, WEIGHT_FILE[c]), tensors, { format: 'pt', ...o.metadata });
}

/** model_index.json, scheduler and tokenizer (the parts that never train). */
export async function writeSkeleton(dir: string): Promise<void> {
  await mkdir(join(dir, 'scheduler'), { recursive: true });
  await mkdir(join(dir, 'tokenizer'), { recursive: true });
  await writeFile(join(dir, 'model_index.json'), json(MODEL_INDEX));
  await writeFile(join(dir, 'scheduler', 'scheduler_config.json'), json(SCHEDULER));
  for (const f of await readdir(TOKENIZER_SOURCE)) await copyFile(join(TOKENIZER_SOURCE, f), join(dir, 'tokenizer', f));
}
