// A stage's resumable state: weights and AdamW moments (float32) by graph parameter name in one
// .safetensors (`<name>`, `<name>.adam_m`, `<name>.adam_v`), the step and settings in its metadata.
// Written to a temporary file and renamed, so an interrupted save leaves the previous state intact.
import { rename } from 'node:fs/promises';
import { readSafetensorsIndex, readTensorF32, type StWriteTensor, writeSafetensors } from '../../sidecar/weights/safetensors';
import type { TrainState } from '../../sidecar/training/trainer';

/** A stage's settings as metadata strings (settings left unset are not written). */
export function settingsMetadata(o: object): Record<string, string> {
  return Object.fromEntries(Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));
}

export async function saveState(path: string, params: readonly { name: string; shape: readonly number[] }[], s: TrainState, meta: Record<string, string> = {}): Promise<void> {
  const t = (d: Float32Array, shape: readonly number[]): StWriteTensor => ({ dtype: 'F32', shape: [...shape], data: d });
  const out: Record<string, StWriteTensor> = {};
  for (const p of params) {
    out[p.name] = t(s.weights.get(p.name)!, p.shape);
    out[`${p.name}.adam_m`] = t(s.m.get(p.name)!, p.shape);
    out[`${p.name}.adam_v`] = t(s.v.get(p.name)!, p.shape);
  }
  await writeSafetensors(`${path}.tmp`, out, { ...meta, step: String(s.step) });
  await rename(`${path}.tmp`, path);
}

/** The saved state, or undefined when there is none yet. */
export async function loadState(path: string, params: readonly { name: string }[]): Promise<(TrainState & { meta: Record<string, string> }) | undefined> {
  const file = await readSafetensorsIndex(path).catch(() => undefined);
  if (!file) return undefined;
  const s: TrainState & { meta: Record<string, string> } = { weights: new Map(), m: new Map(), v: new Map(), step: Number(file.metadata.step ?? 0), meta: file.metadata };
  for (const p of params) {
    if (!file.tensors.has(p.name)) throw new Error(`${path}: no tensor "${p.name}" (the state is from another architecture; move it away to start over)`);
    s.weights.set(p.name, (await readTensorF32(file, p.name)).data);
    s.m.set(p.name, (await readTensorF32(file, `${p.name}.adam_m`)).data);
    s.v.set(p.name, (await readTensorF32(file, `${p.name}.adam_v`)).data);
  }
  return s;
}
