// One tensor of an export: the base model's weight with its edit applied (a LoRA module merged, or the
// trained tensor in its place), in the output dtype, computed only when the writer reaches it, so an
// export holds one tensor in memory at a time. Unedited weights already in the output dtype are copied
// byte for byte.
import type { TensorRef } from './checkpoint-types';
import { addLora } from './lora-merge';
import { f32ArrayToF16, type StWriteTensor } from './safetensors';
import { readRefBytes, readRefF32 } from './tensor-ref';
import type { WeightEdit } from './trained-weights';

export type ExportDType = 'F32' | 'F16';

export function exportTensor(ref: TensorRef, edit: WeightEdit | undefined, dtype: ExportDType, shape: number[] = ref.shape): StWriteTensor {
  const source = edit?.kind === 'replace' ? edit.ref : ref;
  return {
    dtype,
    shape,
    load: async () => {
      if (edit?.kind !== 'lora' && source.dtype === dtype) return readRefBytes(source);
      const w = await readRefF32(source);
      if (edit?.kind === 'lora') addLora(w, edit.module, 1);
      return dtype === 'F16' ? f32ArrayToF16(w) : w;
    },
  };
}
