// A run's trained weights and optimizer state on disk. The weights file is what other tools load:
//  - LoRA: kohya format (`lora_unet_<path>.lora_down.weight` [rank, in], `.lora_up.weight` [out, rank],
//    `.alpha` []; `lora_te_…` for the text encoder), what AUTOMATIC1111, ComfyUI and `generate --lora` load;
//  - full fine-tuning: the trained float32 tensors as `unet.<diffusers key>` / `text_encoder.<diffusers
//    key>` with `dreambooth_method: full` in the metadata (weights/trained-weights.ts reads it; the
//    exports turn it into a checkpoint).
// --resume reads one file holding weights, AdamW moments and step (writeResumeState),
// written atomically (temp file + rename); every file carries the step count in its metadata.
import { readSafetensorsIndex, readTensorF32, type StWriteTensor, writeSafetensors } from '../weights/safetensors';
import { FULL_METHOD, METHOD_KEY } from '../weights/trained-weights';
import { kohyaKeys, TEXT_ENCODER_SCOPE, type LoraModuleParams, type LoraSpec } from './lora';
import type { TrainStepGraph } from './step-graph';
import type { TrainState } from './trainer';
import type { LossScaleState } from './loss-scale';

/** Metadata key of the step count in the weights and optimizer files. */
export const TRAINED_STEP_KEY = 'dreambooth_step';
/** Metadata key of the mixed-precision loss scale (JSON of LossScaleState) in the resume state. */
const LOSS_SCALE_KEY = 'dreambooth_loss_scale';

type Trained = Pick<TrainStepGraph, 'params' | 'modules'>;

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

/** Every trained parameter's key in the files: kohya names for adapters, `<component>.<key>` for full weights. */
export function fileKeys(spec: Trained): Map<string, string> {
  const kohya = kohyaNameMap(spec.modules);
  const te = `${TEXT_ENCODER_SCOPE}.`;
  return new Map(spec.params.map((p) => [p.name, kohya.get(p.name) ?? (p.name.startsWith(te) ? p.name : `unet.${p.name}`)]));
}

const tensor = (data: Float32Array, shape: readonly number[]): StWriteTensor => ({ dtype: 'F32', shape: [...shape], data });

/** The weights file of a run at `step`: a kohya LoRA when adapters were trained, else the full weights. */
export async function writeTrainedWeights(path: string, spec: Trained, lora: LoraSpec | undefined, weights: Map<string, Float32Array>, step: number): Promise<void> {
  const keys = fileKeys(spec);
  const out: Record<string, StWriteTensor> = {};
  for (const p of spec.params) out[keys.get(p.name)!] = tensor(weights.get(p.name)!, p.shape as number[]);
  for (const mod of spec.modules) out[kohyaKeys(mod.path).alpha] = tensor(Float32Array.of(lora!.alpha), []);
  const meta: Record<string, string> = spec.modules.length
    ? { ss_network_module: 'networks.lora', ss_network_dim: String(lora!.rank), ss_network_alpha: String(lora!.alpha) }
    : { [METHOD_KEY]: FULL_METHOD };
  await writeSafetensors(path, out, { ...meta, [TRAINED_STEP_KEY]: String(step) });
}

/**
 * The resumable state of a run in ONE file, so a save is one atomic rename: the trained weights under
 * their file keys, the AdamW moments as `<key>.adam_m` / `<key>.adam_v`, the step in the metadata. A
 * kill at any instant leaves the previous state or the new one.
 */
export async function writeResumeState(path: string, spec: Trained, s: TrainState): Promise<void> {
  const keys = fileKeys(spec);
  const out: Record<string, StWriteTensor> = {};
  for (const p of spec.params) {
    const k = keys.get(p.name)!;
    out[k] = tensor(s.weights.get(p.name)!, p.shape as number[]);
    out[`${k}.adam_m`] = tensor(s.m.get(p.name)!, p.shape as number[]);
    out[`${k}.adam_v`] = tensor(s.v.get(p.name)!, p.shape as number[]);
  }
  await writeSafetensors(path, out, { [TRAINED_STEP_KEY]: String(s.step), ...(s.lossScale ? { [LOSS_SCALE_KEY]: JSON.stringify(s.lossScale) } : {}) });
}

/** The loss scale a resume state recorded; a missing or damaged one restarts from GradScaler's initial scale. */
function lossScaleOf(meta: Record<string, string>): LossScaleState | undefined {
  try {
    const v = JSON.parse(meta[LOSS_SCALE_KEY] ?? 'null') as Partial<LossScaleState> | null;
    const ok = v && [v.scale, v.growthTracker, v.skipped].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) && v.scale! > 0;
    return ok ? (v as LossScaleState) : undefined;
  } catch {
    return undefined;
  }
}

/** The resume state written by writeResumeState. */
export async function readResumeState(path: string, spec: Trained): Promise<TrainState> {
  const file = await readSafetensorsIndex(path);
  const s: TrainState = { weights: new Map(), m: new Map(), v: new Map(), step: Number(file.metadata[TRAINED_STEP_KEY] ?? 0), lossScale: lossScaleOf(file.metadata) };
  for (const [param, key] of fileKeys(spec)) {
    for (const [k, map] of [[key, s.weights], [`${key}.adam_m`, s.m], [`${key}.adam_v`, s.v]] as const) {
      if (!file.tensors.has(k)) throw new Error(`${path}: no tensor "${k}" (the saved state does not match what this run trains)`);
      map.set(param, (await readTensorF32(file, k)).data);
    }
  }
  return s;
}

/** Reads a run's weights file (and optionally its optimizer state) into graph-parameter-keyed maps. */
export async function readTrainState(weightsPath: string, spec: Trained, optimizerPath?: string): Promise<TrainState> {
  const keys = fileKeys(spec);
  const file = await readSafetensorsIndex(weightsPath);
  const s: TrainState = { weights: new Map(), m: new Map(), v: new Map(), step: Number(file.metadata[TRAINED_STEP_KEY] ?? 0) };
  const what = spec.modules.length ? 'the LoRA does not match this run’s adapters' : 'the weights do not match what this run trains';
  for (const [param, key] of keys) {
    if (!file.tensors.has(key)) throw new Error(`${weightsPath}: no tensor "${key}" (${what})`);
    s.weights.set(param, (await readTensorF32(file, key)).data);
  }
  if (optimizerPath) {
    const opt = await readSafetensorsIndex(optimizerPath);
    const optStep = Number(opt.metadata[TRAINED_STEP_KEY] ?? NaN);
    if (optStep !== s.step) throw new Error(`${optimizerPath}: optimizer state is from step ${opt.metadata[TRAINED_STEP_KEY]}, the weights ${weightsPath} from step ${s.step}`);
    for (const [param, key] of keys) {
      for (const [which, map] of [['adam_m', s.m], ['adam_v', s.v]] as const) {
        if (!opt.tensors.has(`${key}.${which}`)) throw new Error(`${optimizerPath}: no tensor "${key}.${which}"`);
        map.set(param, (await readTensorF32(opt, `${key}.${which}`)).data);
      }
    }
  }
  return s;
}
