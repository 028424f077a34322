// What a training run produced, as export reads it: a kohya LoRA (method lora), or the trained tensors
// themselves (method full: a .safetensors of `<component>.<diffusers key>` with metadata
// dreambooth_method "full"), which replace the base model's. Either is checked against the base model
// (weightEdits) before anything is written.
import { readKohyaLora, type LoraModule } from './kohya-lora';
import { ModelLoadError } from './load-errors';
import { readSafetensorsIndex } from './safetensors';
import type { Component } from './sd1-keymap';
import type { SdCheckpoint, TensorRef } from './checkpoint-types';
import { loraTargets } from './lora-merge';

/** The metadata key (and value) that marks a full-weights file. */
export const METHOD_KEY = 'dreambooth_method';
export const FULL_METHOD = 'full';

const COMPONENTS: readonly Component[] = ['unet', 'vae', 'text_encoder'];

export type TrainedWeights =
  | { kind: 'lora'; file: string; modules: LoraModule[]; metadata: Record<string, string> }
  | { kind: 'full'; file: string; tensors: Record<Component, Map<string, TensorRef>> };

/** How one base weight changes: a LoRA module added to it, or a trained tensor in its place. */
export type WeightEdit = { kind: 'lora'; module: LoraModule } | { kind: 'replace'; ref: TensorRef };

export async function openTrainedWeights(file: string): Promise<TrainedWeights> {
  let index;
  try {
    index = await readSafetensorsIndex(file);
  } catch (e) {
    throw new ModelLoadError(`trained weights: ${(e as Error).message}`);
  }
  if (index.metadata[METHOD_KEY] !== FULL_METHOD) return { kind: 'lora', file, modules: await readKohyaLora(file), metadata: index.metadata };
  const tensors = Object.fromEntries(COMPONENTS.map((c) => [c, new Map<string, TensorRef>()])) as Record<Component, Map<string, TensorRef>>;
  for (const e of index.tensors.values()) {
    const dot = e.name.indexOf('.');
    const component = e.name.slice(0, dot) as Component;
    if (dot < 0 || !COMPONENTS.includes(component)) throw new ModelLoadError(`${file}: tensor "${e.name}" is not <component>.<key> (component: ${COMPONENTS.join(', ')})`);
    tensors[component].set(e.name.slice(dot + 1), { file, sourceKey: e.name, dtype: e.dtype, shape: e.shape, storedShape: e.shape, offset: index.dataStart + e.begin, length: e.end - e.begin });
  }
  return { kind: 'full', file, tensors };
}

/**
 * Per component, the edits the trained weights make to `base` (by diffusers key). Every module or tensor
 * must name a weight of the base with a fitting shape; anything else is an error naming it (a LoRA or a
 * fine-tune of another model must not be written into this one).
 */
export function weightEdits(base: SdCheckpoint, trained: TrainedWeights): Record<Component, Map<string, WeightEdit>> {
  const out = {} as Record<Component, Map<string, WeightEdit>>;
  for (const c of COMPONENTS) {
    const edits = new Map<string, WeightEdit>();
    if (trained.kind === 'lora') {
      for (const [key, module] of loraTargets(base.weights[c], trained.modules, trained.file)) edits.set(key, { kind: 'lora', module });
    } else {
      const problems: string[] = [];
      for (const [key, ref] of trained.tensors[c]) {
        const b = base.weights[c].tensors.get(key);
        if (!b) problems.push(`${c}.${key} [${ref.shape.join(', ')}]: no such weight in the base model`);
        else if (b.shape.join(',') !== ref.shape.join(',')) problems.push(`${c}.${key}: trained [${ref.shape.join(', ')}], base [${b.shape.join(', ')}]`);
        else if (!['F32', 'F16', 'BF16'].includes(ref.dtype)) problems.push(`${c}.${key}: dtype ${ref.dtype} (weights must be F32, F16 or BF16)`);
        else edits.set(key, { kind: 'replace', ref });
      }
      if (problems.length)
        throw new ModelLoadError(`${trained.file}: ${problems.length} trained tensor(s) do not fit the base model ${base.path}:\n  ${problems.slice(0, 8).join('\n  ')}${problems.length > 8 ? '\n  ...' : ''}`);
    }
    out[c] = edits;
  }
  return out;
}
