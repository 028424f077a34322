// LoRA weights and optimizer state on disk. The LoRA is a kohya-format .safetensors
// (`lora_unet_<path>.lora_down.weight` [rank, in], `.lora_up.weight` [out, rank], `.alpha` []), the
// format AUTOMATIC1111, ComfyUI and `dreambooth generate --lora` load; the optimizer state (AdamW
// moments under the same keys + `.adam_m` / `.adam_v`) sits beside it for --resume. Both are written
// atomically (temp file + rename) and carry the step count in their metadata.
import { readSafetensorsIndex, readTensorF32, type StWriteTensor, writeSafetensors } from '../weights/safetensors';
import { kohyaKeys, type LoraModuleParams, type LoraSpec } from './lora';
import type { LoraState } from './trainer';

const STEP_KEY = 'dreambooth_step';

/** Graph parameter name → kohya key (`…to_q.lora_down.weight` → `lora_unet_…_to_q.lora_down.weight`). */
export function kohyaNameMap(modules: readonly LoraModuleParams[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const mod of modules) {
    const k = kohyaKeys(mod.path);
    m.set(mod.down.name, k.down);
    m.set(mod.up.name, k.up);
  }
  return m;
}

const tensor = (data: Float32Array, shape: readonly number[]): StWriteTensor => ({ dtype: 'F32', shape: [...shape], data });

export async function writeKohyaLora(path: string, modules: readonly LoraModuleParams[], spec: LoraSpec, weights: Map<string, Float32Array>, step: number): Promise<void> {
  const out: Record<string, StWriteTensor> = {};
  for (const mod of modules) {
    const k = kohyaKeys(mod.path);
    out[k.down] = tensor(weights.get(mod.down.name)!, mod.down.shape as number[]);
    out[k.up] = tensor(weights.get(mod.up.name)!, mod.up.shape as number[]);
    out[k.alpha] = tensor(Float32Array.of(spec.alpha), []);
  }
  await writeSafetensors(path, out, {
    ss_network_module: 'networks.lora',
    ss_network_dim: String(spec.rank),
    ss_network_alpha: String(spec.alpha),
    [STEP_KEY]: String(step),
  });
}

export async function writeOptimizerState(path: string, modules: readonly LoraModuleParams[], s: LoraState): Promise<void> {
  const names = kohyaNameMap(modules);
  const out: Record<string, StWriteTensor> = {};
  for (const mod of modules) {
    for (const p of [mod.down, mod.up]) {
      const k = names.get(p.name)!;
      out[`${k}.adam_m`] = tensor(s.m.get(p.name)!, p.shape as number[]);
      out[`${k}.adam_v`] = tensor(s.v.get(p.name)!, p.shape as number[]);
    }
  }
  await writeSafetensors(path, out, { [STEP_KEY]: String(s.step) });
}

/** Reads a kohya LoRA (and optionally its optimizer state) into graph-parameter-keyed maps. */
export async function readLoraState(loraPath: string, modules: readonly LoraModuleParams[], optimizerPath?: string): Promise<LoraState> {
  const names = kohyaNameMap(modules);
  const lora = await readSafetensorsIndex(loraPath);
  const s: LoraState = { weights: new Map(), m: new Map(), v: new Map(), step: Number(lora.metadata[STEP_KEY] ?? 0) };
  for (const [param, key] of names) {
    if (!lora.tensors.has(key)) throw new Error(`${loraPath}: no tensor "${key}" (the LoRA does not match this model's adapters)`);
    s.weights.set(param, (await readTensorF32(lora, key)).data);
  }
  if (optimizerPath) {
    const opt = await readSafetensorsIndex(optimizerPath);
    const optStep = Number(opt.metadata[STEP_KEY] ?? NaN);
    if (optStep !== s.step) throw new Error(`${optimizerPath}: optimizer state is from step ${opt.metadata[STEP_KEY]}, the LoRA ${loraPath} from step ${s.step}`);
    for (const [param, key] of names) {
      for (const [which, map] of [['adam_m', s.m], ['adam_v', s.v]] as const) {
        if (!opt.tensors.has(`${key}.${which}`)) throw new Error(`${optimizerPath}: no tensor "${key}.${which}"`);
        map.set(param, (await readTensorF32(opt, `${key}.${which}`)).data);
      }
    }
  }
  return s;
}
