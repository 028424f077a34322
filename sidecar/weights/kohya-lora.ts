// LoRA files in kohya's format (what AUTOMATIC1111, ComfyUI and kohya's scripts read and write):
//   lora_unet_<diffusers module path, '.' → '_'>.lora_down.weight [rank, in(, k, k)]
//   lora_unet_<...>.lora_up.weight [out, rank(, 1, 1)],  lora_unet_<...>.alpha (scalar; scale = alpha / rank)
//   lora_te_text_model_<rest of the text encoder module path, '.' → '_'>...  for the text encoder.
// The module names are resolved to diffusers keys by the rename table (sd1-keymap.ts, kohyaTargets).
import { readSafetensorsIndex, readTensorF32, type StIndex } from './safetensors';
import { ModelLoadError } from './load-errors';
import { KOHYA_PREFIX, type Component } from './sd1-keymap';


export interface LoraModule {
  component: Component;
  /** The kohya module name, e.g. lora_unet_down_blocks_0_attentions_0_proj_in. */
  kohya: string;
  down: { shape: number[]; data: Float32Array };
  up: { shape: number[]; data: Float32Array };
  /** alpha / rank (1 when the file has no alpha, as kohya assumes alpha = rank). */
  scale: number;
}

/** Reads and checks every module of a kohya LoRA file (complete down/up pairs, matching ranks). */
export async function readKohyaLora(path: string): Promise<LoraModule[]> {
  let index: StIndex;
  try {
    index = await readSafetensorsIndex(path);
  } catch (e) {
    throw new ModelLoadError(`LoRA ${(e as Error).message}`);
  }
  const names = new Set<string>();
  const unknown: string[] = [];
  for (const key of index.tensors.keys()) {
    const m = /^(lora_(?:unet|te)_.+)\.(lora_down\.weight|lora_up\.weight|alpha)$/.exec(key);
    if (m) names.add(m[1]!);
    else unknown.push(key);
  }
  if (unknown.some((k) => /^lora_te[12]_/.test(k)))
    throw new ModelLoadError(`${path}: an SDXL LoRA (it has lora_te1_/lora_te2_ modules, for SDXL's two text encoders); only LoRAs for Stable Diffusion 1.x are supported`);
  if (unknown.length) throw new ModelLoadError(`${path}: not a kohya LoRA file (unexpected keys: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}); LyCORIS/LoHa variants are not supported`);
  if (names.size === 0) throw new ModelLoadError(`${path}: no LoRA modules (expected lora_unet_*/lora_te_* keys)`);
  const modules: LoraModule[] = [];
  for (const kohya of names) {
    const down = index.tensors.has(`${kohya}.lora_down.weight`) ? await readTensorF32(index, `${kohya}.lora_down.weight`) : undefined;
    const up = index.tensors.has(`${kohya}.lora_up.weight`) ? await readTensorF32(index, `${kohya}.lora_up.weight`) : undefined;
    if (!down || !up) throw new ModelLoadError(`${path}: module ${kohya} lacks its ${down ? 'lora_up' : 'lora_down'}.weight`);
    const rank = down.shape[0]!;
    if (up.shape[1] !== rank) throw new ModelLoadError(`${path}: module ${kohya}: lora_down has rank ${rank} [${down.shape.join(', ')}] but lora_up is [${up.shape.join(', ')}]`);
    const alpha = index.tensors.has(`${kohya}.alpha`) ? (await readTensorF32(index, `${kohya}.alpha`)).data[0]! : rank;
    const component = kohya.startsWith(KOHYA_PREFIX.unet!) ? 'unet' : 'text_encoder';
    modules.push({ component, kohya, down, up, scale: alpha / rank });
  }
  return modules;
}
