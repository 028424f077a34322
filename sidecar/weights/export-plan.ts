// What an export writes, computed from the base model and the trained weights before any byte is read:
// every file, every tensor's name, dtype and shape (so headers are known up front and the SD 1.5 layout
// can be checked without writing 4 GB), the configs beside them, and the total size.
//   lora        the run's kohya LoRA (lora_unet_* and lora_te_* modules), optionally float16
//   checkpoint  one .safetensors in the original layout (model.diffusion_model.*, first_stage_model.*,
//               cond_stage_model.transformer.*): the key table of sd1-keymap.ts, diffusers → original
//   diffusers   a pipeline folder: model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/
import { join } from 'node:path';
import type { ExportFormat } from '../../protocol/vocabulary';
import type { JsonObject } from '../models/config-check';
import { isIgnoredBuffer } from './bind';
import type { SdCheckpoint } from './checkpoint-types';
import { exportTensor, type ExportDType } from './export-tensors';
import { ModelLoadError } from './load-errors';
import { elementCount } from './safetensors-dtypes';
import type { StWriteTensor } from './safetensors';
import { Sd1KeyMap, isVaeAttentionProjection, keymapShapeOf, type Component } from './sd1-keymap';
import { SD1_SCHEDULER_CONFIG, SD1_TEXT_ENCODER_CONFIG, SD1_TOKENIZER_CONFIG, SD1_UNET_CONFIG, SD1_VAE_CONFIG } from './sd1-standard-configs';
import { weightEdits, type TrainedWeights } from './trained-weights';
import { bundledTokenizerDir } from './bundled';
import { readJson } from './diffusers-folder';
import { f32ArrayToF16 } from './safetensors';
import { CONFIGS_METADATA_KEY, configsFolderOf, readConfigsFolder } from './stored-configs';

export interface PlannedFile {
  /** Path inside the export ('' for a single-file export). */
  path: string;
  tensors: Record<string, StWriteTensor>;
  metadata: Record<string, string>;
}

export interface ExportPlan {
  /** A single file, or a folder of files. */
  shape: 'file' | 'folder';
  files: PlannedFile[];
  /** Files and folders copied as they are (configs, tokenizer), source → path inside the export. */
  copies: { from: string; to: string }[];
  /** JSON files written (model_index.json, configs of a single-file base), path inside the export → content. */
  json: Record<string, JsonObject>;
  /** Bytes of tensor data to write. */
  bytes: number;
}

const COMPONENTS: readonly Component[] = ['unet', 'vae', 'text_encoder'];
/** Marks safetensors files as PyTorch's, as diffusers and transformers write them (transformers requires it). */
const PT = { format: 'pt' };

/** The plan; throws (naming them) when the trained weights do not fit the base model. Reads only small JSON files. */
export async function planExport(base: SdCheckpoint, trained: TrainedWeights, format: ExportFormat, half: boolean): Promise<ExportPlan> {
  const dtype: ExportDType = half ? 'F16' : 'F32';
  const edits = weightEdits(base, trained); // every module or tensor must fit the base model
  const plan = format === 'lora' ? loraPlan(trained, dtype) : format === 'checkpoint' ? await checkpointPlan(base, edits, dtype) : await diffusersPlan(base, edits, dtype);
  return { ...plan, bytes: plan.files.reduce((n, f) => n + Object.values(f.tensors).reduce((m, t) => m + elementCount(t.shape) * (t.dtype === 'F16' ? 2 : 4), 0), 0) };
}

type Layout = Omit<ExportPlan, 'bytes'>;

type Edits = ReturnType<typeof weightEdits>;

function loraPlan(trained: TrainedWeights, dtype: ExportDType): Layout {
  if (trained.kind !== 'lora')
    throw new ModelLoadError(`${trained.file}: this run trained the whole model (method full): it has no LoRA to export; export a checkpoint or a diffusers folder instead`);
  const tensors: Record<string, StWriteTensor> = {};
  const put = (name: string, shape: number[], data: Float32Array) => (tensors[name] = { dtype, shape, data: dtype === 'F16' ? f32ArrayToF16(data) : data });
  for (const m of trained.modules) {
    put(`${m.kohya}.lora_down.weight`, m.down.shape, m.down.data);
    put(`${m.kohya}.lora_up.weight`, m.up.shape, m.up.data);
    put(`${m.kohya}.alpha`, [], Float32Array.of(m.scale * m.down.shape[0]!));
  }
  return { shape: 'file', files: [{ path: '', tensors, metadata: trained.metadata }], copies: [], json: {} };
}

/** Each exported weight of a component (buffers such as position_ids are not weights): key, tensor. */
function componentTensors(base: SdCheckpoint, edits: Edits, component: Component, dtype: ExportDType, name: (key: string) => string, shape: (key: string, s: number[]) => number[]) {
  const out: Record<string, StWriteTensor> = {};
  for (const [key, ref] of base.weights[component].tensors) {
    if (isIgnoredBuffer(key)) continue;
    out[name(key)] = exportTensor(ref, edits[component].get(key), dtype, shape(key, ref.shape));
  }
  return out;
}

async function checkpointPlan(base: SdCheckpoint, edits: Edits, dtype: ExportDType): Promise<Layout> {
  const map = new Sd1KeyMap(keymapShapeOf(base.unet, base.vae));
  const tensors: Record<string, StWriteTensor> = {};
  for (const c of COMPONENTS) {
    const original = (key: string) => {
      const k = map.toOriginal(c, key);
      if (!k) throw new ModelLoadError(`${base.weights[c].source}: ${c} weight "${key}" has no name in the original single-file layout`);
      return k;
    };
    // The original layout stores the VAE attention projections as 1x1 convolutions.
    const shape = (key: string, s: number[]) => (isVaeAttentionProjection(c, key) && s.length === 2 ? [...s, 1, 1] : s);
    Object.assign(tensors, componentTensors(base, edits, c, dtype, original, shape));
  }
  // The base's configs go along, so a model of another size than SD 1.x's opens again (stored-configs.ts).
  const folder = configsFolderOf(base);
  const metadata = folder ? { ...PT, [CONFIGS_METADATA_KEY]: JSON.stringify(await readConfigsFolder(folder)) } : PT;
  return { shape: 'file', files: [{ path: '', tensors, metadata }], copies: [], json: {} };
}

const WEIGHT_FILE: Record<Component, string> = {
  unet: 'unet/diffusion_pytorch_model.safetensors',
  vae: 'vae/diffusion_pytorch_model.safetensors',
  text_encoder: 'text_encoder/model.safetensors',
};
/** The pipeline's parts that a diffusers export has; others a base lists (safety checker, ...) are set to null. */
const PARTS = ['unet', 'vae', 'text_encoder', 'tokenizer', 'scheduler'];

async function diffusersPlan(base: SdCheckpoint, edits: Edits, dtype: ExportDType): Promise<Layout> {
  const same = (key: string) => key;
  const files = COMPONENTS.map((c) => ({ path: WEIGHT_FILE[c], tensors: componentTensors(base, edits, c, dtype, same, (_k, s) => s), metadata: PT }));
  const copies: ExportPlan['copies'] = [];
  const json: ExportPlan['json'] = {};
  const configs = configsFolderOf(base);
  if (configs) {
    for (const f of ['unet/config.json', 'vae/config.json', 'text_encoder/config.json', 'scheduler/scheduler_config.json']) copies.push({ from: join(configs, f), to: f });
    copies.push({ from: base.tokenizerDir, to: 'tokenizer' });
    json['model_index.json'] = exportModelIndex(await readJson(join(configs, 'model_index.json')));
  } else {
    // A single-file base at SD 1.x's standard size: its configs are the standard ones.
    json['unet/config.json'] = { _class_name: 'UNet2DConditionModel', ...SD1_UNET_CONFIG };
    json['vae/config.json'] = { _class_name: 'AutoencoderKL', ...SD1_VAE_CONFIG };
    json['text_encoder/config.json'] = { architectures: ['CLIPTextModel'], model_type: 'clip_text_model', ...SD1_TEXT_ENCODER_CONFIG };
    json['scheduler/scheduler_config.json'] = SD1_SCHEDULER_CONFIG;
    json['tokenizer/tokenizer_config.json'] = SD1_TOKENIZER_CONFIG;
    copies.push({ from: bundledTokenizerDir(), to: 'tokenizer' });
    json['model_index.json'] = exportModelIndex({});
  }
  return { shape: 'folder', files, copies, json };
}

/** A base's model_index.json for the export: the five parts it writes; any other part (safety checker,
 *  feature extractor) set to [null, null], since its folder is not exported. */
export function exportModelIndex(baseIndex: JsonObject): JsonObject {
  const out: JsonObject = {
    _class_name: 'StableDiffusionPipeline',
    ...baseIndex,
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
    text_encoder: ['transformers', 'CLIPTextModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    scheduler: baseIndex.scheduler ?? ['diffusers', String(SD1_SCHEDULER_CONFIG._class_name)],
  };
  for (const [k, v] of Object.entries(out)) if (!k.startsWith('_') && Array.isArray(v) && !PARTS.includes(k)) out[k] = [null, null];
  if ('requires_safety_checker' in out) out.requires_safety_checker = false;
  return out;
}
