// A single-file checkpoint does not say its architecture: readers (ours, AUTOMATIC1111, ComfyUI)
// assume SD 1.x's standard configs. The checkpoints we export carry their base's diffusers configs in
// the safetensors metadata, so one exported from a base of another size (the bundled world model)
// opens again without --configs-from; other tools ignore the key.
import { join } from 'node:path';
import type { JsonObject } from '../models/config-check';
import type { SdCheckpoint } from './checkpoint-types';
import { readJson } from './diffusers-folder';
import { ModelLoadError } from './load-errors';

export const CONFIGS_METADATA_KEY = 'dreambooth_configs';

export interface ModelConfigs {
  unet: JsonObject;
  vae: JsonObject;
  text_encoder: JsonObject;
  scheduler: JsonObject;
}

/** The configs of a diffusers folder (or a --configs-from folder). */
export async function readConfigsFolder(dir: string): Promise<ModelConfigs> {
  return {
    unet: await readJson(join(dir, 'unet', 'config.json')),
    vae: await readJson(join(dir, 'vae', 'config.json')),
    text_encoder: await readJson(join(dir, 'text_encoder', 'config.json')),
    scheduler: await readJson(join(dir, 'scheduler', 'scheduler_config.json')),
  };
}

/** The base's configs when it has a folder of them; undefined for a single file at the standard size. */
export function configsFolderOf(base: SdCheckpoint): string | undefined {
  return base.layout === 'diffusers' ? base.path : base.configsFrom;
}

/** The configs a checkpoint's metadata carries, if any (a malformed entry is an error, not a guess). */
export function storedConfigs(metadata: Record<string, string> | undefined, path: string): ModelConfigs | undefined {
  const text = metadata?.[CONFIGS_METADATA_KEY];
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(`${path}: its "${CONFIGS_METADATA_KEY}" metadata is not JSON (${(e as Error).message}); pass --configs-from a diffusers folder with the model's configs`);
  }
  const isObject = (x: unknown): x is JsonObject => typeof x === 'object' && x !== null && !Array.isArray(x);
  const c = v as Partial<Record<keyof ModelConfigs, unknown>>;
  if (!isObject(v) || !isObject(c.unet) || !isObject(c.vae) || !isObject(c.text_encoder) || !isObject(c.scheduler))
    throw new ModelLoadError(`${path}: its "${CONFIGS_METADATA_KEY}" metadata lacks the unet, vae, text_encoder or scheduler config; pass --configs-from a diffusers folder with the model's configs`);
  return { unet: c.unet, vae: c.vae, text_encoder: c.text_encoder, scheduler: c.scheduler };
}
