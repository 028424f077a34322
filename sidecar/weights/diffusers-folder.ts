// A diffusers pipeline folder: model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/.
// Keys are already diffusers names; this reads configs and safetensors headers, and says precisely
// which file is missing or broken.
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readWeightIndex } from './weight-index';
import { currentVaeKey, type Component } from './sd1-keymap';
import type { ComponentWeights, SdCheckpoint, TensorRef } from './checkpoint-types';
import { ModelLoadError } from './load-errors';
import { parseClipTextConfig, parseUNetConfig, parseVaeConfig } from '../models/configs';
import type { JsonObject } from '../models/config-check';

const UNSUPPORTED_PIPELINES: Record<string, string> = {
  StableDiffusionXLPipeline: 'SDXL',
  StableDiffusionXLImg2ImgPipeline: 'SDXL',
  StableDiffusion3Pipeline: 'SD 3',
  FluxPipeline: 'FLUX',
  KandinskyV22Pipeline: 'Kandinsky',
};

/**
 * Weight file names in the order diffusers prefers them: safetensors (full precision first, then the
 * fp16 variant), then torch.save's .bin (read by torch-ckpt.ts, never executed).
 */
const WEIGHT_NAMES: Record<Component, string[]> = {
  unet: ['diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.fp16.safetensors', 'diffusion_pytorch_model.bin', 'diffusion_pytorch_model.fp16.bin'],
  vae: ['diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.fp16.safetensors', 'diffusion_pytorch_model.bin', 'diffusion_pytorch_model.fp16.bin'],
  text_encoder: ['model.safetensors', 'model.fp16.safetensors', 'pytorch_model.bin', 'pytorch_model.fp16.bin'],
};

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

export async function readJson(path: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ModelLoadError(`${path}: missing (the model folder is incomplete)`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ModelLoadError(`${path}: expected a JSON object`);
  return v as JsonObject;
}

/** Resolves the weight file(s) of one component: single file, fp16 variant, or a sharded index. */
async function componentWeights(dir: string, component: Component): Promise<ComponentWeights> {
  const sub = join(dir, component);
  if (!(await exists(sub))) throw new ModelLoadError(`${sub}: missing folder (a diffusers SD model needs unet/, vae/, text_encoder/, tokenizer/ and scheduler/)`);
  const files = await readdir(sub);
  const tensors = new Map<string, TensorRef>();
  // Weight files are often symlinks (the Hugging Face cache links snapshots to blobs): the real file is
  // what gets hard-linked beside the staged model, since ONNX Runtime refuses symlinked external data.
  const add = async (link: string, only?: Set<string>) => {
    const file = await realpath(link);
    const index = await readWeightIndex(file);
    for (const e of index.tensors.values()) {
      if (only && !only.has(e.name)) continue;
      tensors.set(component === 'vae' ? currentVaeKey(e.name) : e.name, { file, sourceKey: e.name, dtype: e.dtype, shape: e.shape, storedShape: e.shape, offset: e.offset, length: e.length });
    }
  };
  for (const name of WEIGHT_NAMES[component]) {
    if (files.includes(name)) {
      await add(join(sub, name));
      return { component, source: join(sub, name), tensors };
    }
    const shardIndex = `${name}.index.json`;
    if (files.includes(shardIndex)) {
      const idx = await readJson(join(sub, shardIndex));
      const map = idx.weight_map;
      if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new ModelLoadError(`${join(sub, shardIndex)}: no "weight_map" object`);
      const byFile = new Map<string, Set<string>>();
      for (const [key, f] of Object.entries(map)) {
        if (typeof f !== 'string' || f.includes('/') || f.includes('\\')) throw new ModelLoadError(`${join(sub, shardIndex)}: bad shard file name for "${key}": ${JSON.stringify(f)}`);
        if (!byFile.has(f)) byFile.set(f, new Set());
        byFile.get(f)!.add(key);
      }
      for (const [f, keys] of byFile) {
        if (!(await exists(join(sub, f)))) throw new ModelLoadError(`${join(sub, f)}: missing shard listed in ${shardIndex}`);
        await add(join(sub, f), keys);
      }
      return { component, source: join(sub, shardIndex), tensors };
    }
  }
  throw new ModelLoadError(`${sub}: no weights found (expected ${WEIGHT_NAMES[component].join(' or ')})`);
}

export async function openDiffusersFolder(dir: string): Promise<SdCheckpoint> {
  const indexPath = join(dir, 'model_index.json');
  if (!(await exists(indexPath))) {
    const hint = (await exists(join(dir, 'config.json'))) ? ' This looks like a single component folder; give the pipeline folder above it.' : '';
    throw new ModelLoadError(`${dir}: not a diffusers model folder (model_index.json is missing).${hint}`);
  }
  const index = await readJson(indexPath);
  const cls = String(index._class_name ?? '');
  if (UNSUPPORTED_PIPELINES[cls]) throw new ModelLoadError(`${indexPath}: this is a ${UNSUPPORTED_PIPELINES[cls]} model (${cls}); only Stable Diffusion 1.x is supported`);
  const scheduler = await readJson(join(dir, 'scheduler', 'scheduler_config.json'));
  const prediction = scheduler.prediction_type === 'v_prediction' ? 'v_prediction' : 'epsilon';
  const unetCfgPath = join(dir, 'unet', 'config.json');
  const vaeCfgPath = join(dir, 'vae', 'config.json');
  const teCfgPath = join(dir, 'text_encoder', 'config.json');
  const unet = parseUNetConfig(await readJson(unetCfgPath), unetCfgPath, prediction);
  const vae = parseVaeConfig(await readJson(vaeCfgPath), vaeCfgPath);
  const textEncoder = parseClipTextConfig(await readJson(teCfgPath), teCfgPath);
  const tokenizerDir = join(dir, 'tokenizer');
  for (const f of ['vocab.json', 'merges.txt'])
    if (!(await exists(join(tokenizerDir, f)))) throw new ModelLoadError(`${join(tokenizerDir, f)}: missing (the tokenizer needs vocab.json and merges.txt)`);
  const weights = {
    unet: await componentWeights(dir, 'unet'),
    vae: await componentWeights(dir, 'vae'),
    text_encoder: await componentWeights(dir, 'text_encoder'),
  };
  return { layout: 'diffusers', path: dir, unet, vae, textEncoder, scheduler, tokenizerDir, weights };
}
