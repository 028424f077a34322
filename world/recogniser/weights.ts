// The trained recogniser's weights: one small float16 .safetensors committed beside this file, with
// the training settings in its metadata. Loading checks every parameter's name and shape.
import { join } from 'node:path';
import { f32ArrayToF16, readSafetensorsIndex, readTensorF32, writeSafetensors } from '../../sidecar/weights/safetensors';
import { recogniserParams } from './model';

export const WEIGHTS_FILE = join(__dirname, 'weights.safetensors');

export async function saveWeights(path: string, weights: Map<string, Float32Array>, metadata: Record<string, string>): Promise<void> {
  const tensors = Object.fromEntries(recogniserParams().map(({ name, shape }) => {
    const w = weights.get(name);
    if (!w) throw new Error(`recogniser: no weights for "${name}"`);
    return [name, { dtype: 'F16' as const, shape, data: f32ArrayToF16(w) }];
  }));
  await writeSafetensors(path, tensors, metadata);
}

export async function loadWeights(path = WEIGHTS_FILE): Promise<Map<string, Float32Array>> {
  const index = await readSafetensorsIndex(path).catch((e: Error) => {
    throw new Error(`recogniser: cannot read its weights (${e.message}); train them with npm run recogniser:train`);
  });
  const out = new Map<string, Float32Array>();
  for (const { name, shape } of recogniserParams()) {
    if (!index.tensors.has(name)) throw new Error(`recogniser: ${path} lacks "${name}": it was trained for another architecture; retrain with npm run recogniser:train`);
    const t = await readTensorF32(index, name);
    if (t.shape.join(',') !== shape.join(',')) throw new Error(`recogniser: "${name}" in ${path} has shape [${t.shape.join(', ')}], the model needs [${shape.join(', ')}]; retrain with npm run recogniser:train`);
    out.set(name, t.data);
  }
  return out;
}
