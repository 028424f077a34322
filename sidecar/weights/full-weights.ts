// A fully fine-tuned run's weights file: the trained tensors as `<component>.<diffusers key>` (float32),
// marked `dreambooth_method: full` in the metadata. Applied like a merged LoRA: its tensors replace the
// base model's at load (the rest of the model stays as stored in the base checkpoint).
import type { ComponentWeights } from './checkpoint-types';
import { ModelLoadError } from './load-errors';
import { readTensorF32, type StIndex } from './safetensors';

export const METHOD_KEY = 'dreambooth_method';
export const FULL_WEIGHTS_METHOD = 'full';

export function isFullWeights(index: StIndex): boolean {
  return index.metadata[METHOD_KEY] === FULL_WEIGHTS_METHOD;
}

/** The replacements of `base`'s tensors held by the full-weights file `index`, checked against `base`. */
export async function readFullWeights(index: StIndex, base: ComponentWeights, source: string): Promise<Map<string, Float32Array>> {
  const prefix = `${base.component}.`;
  const out = new Map<string, Float32Array>();
  const problems: string[] = [];
  for (const key of index.tensors.keys()) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    const ref = base.tensors.get(name);
    const t = await readTensorF32(index, key);
    if (!ref) problems.push(`${key}: the model has no ${base.component} weight "${name}"`);
    else if (ref.shape.join() !== t.shape.join()) problems.push(`${key}: [${t.shape.join(', ')}], the model's is [${ref.shape.join(', ')}]`);
    else out.set(name, t.data);
  }
  if (problems.length) throw new ModelLoadError(`${source}: these trained weights do not fit this model (trained from another base?):\n  ${problems.slice(0, 8).join('\n  ')}${problems.length > 8 ? `\n  ... and ${problems.length - 8} more` : ''}`);
  return out;
}
