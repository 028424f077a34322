// What torch.save's pickle says about storages and tensors, checked before it becomes a WeightEntry:
// the persistent id of a storage, the state dict inside the saved object, and each tensor's view
// (contiguous, inside its storage) turned into a byte range of the file.
import { DTYPES, elementCount, type StDType } from './safetensors-dtypes';
import type { WeightEntry } from './checkpoint-types';
import { PickleError, PyDict, PyGlobal, PyTuple, TorchTensor, asInt, describe, type PyValue } from './pickle/values';

export interface StorageId {
  key: string;
  dtype: StDType;
  numel: number;
  /** Anything after numel: the legacy format's view metadata (None for whole storages). */
  rest: PyValue[];
}

/** `('storage', torch.FloatStorage, key, location, numel[, view_metadata])` */
export function parseStorageId(pid: PyValue): StorageId {
  const items = pid instanceof PyTuple ? pid.items : [];
  const [kind, type, key, , numel] = items;
  if (items.length < 5 || kind !== 'storage') throw new PickleError(`persistent id ${describe(pid)} is not a torch storage reference`);
  if (!(type instanceof PyGlobal) || !type.spec.storage) throw new PickleError(`storage type ${describe(type!)} is not a torch storage class`);
  const n = asInt(numel!);
  if (typeof key !== 'string' || n === undefined || n < 0) throw new PickleError(`malformed storage reference ${describe(pid)}`);
  return { key, dtype: type.spec.storage, numel: n, rest: items.slice(5) };
}

/**
 * The state dict in a saved object: SD checkpoints hold `{"state_dict": {...}, "global_step": …}`,
 * diffusers' .bin files the state dict itself.
 */
export function stateDictOf(root: PyValue): PyDict {
  if (!(root instanceof PyDict)) throw new PickleError(`the file holds a ${describe(root)}, not a state dict`);
  const inner = root.map.get('state_dict');
  return inner instanceof PyDict ? inner : root;
}

/** A contiguous tensor's byte range; `storageStart`/`storageBytes`: where its storage's bytes are. */
export function tensorEntry(name: string, t: TorchTensor, storageStart: number, storageBytes: number): WeightEntry {
  const { shape, stride, storageOffset } = t;
  const item = DTYPES[t.storage.dtype].itemSize;
  const numel = elementCount(shape);
  if (!Number.isSafeInteger(numel)) throw new PickleError(`tensor "${name}": shape [${shape.join(', ')}] is too large`);
  // Row-major strides, ignoring dimensions of size 1 (as torch's is_contiguous does).
  let expect = 1;
  for (let i = shape.length - 1; i >= 0 && numel > 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect)
      throw new PickleError(
        `tensor "${name}" is stored as a non-contiguous view (shape [${shape.join(', ')}], strides [${stride.join(', ')}]); ` +
          're-save it after .contiguous(), or convert the file to .safetensors',
      );
    expect *= shape[i]!;
  }
  const begin = storageOffset * item;
  const length = numel * item;
  if (begin + length > storageBytes)
    throw new PickleError(`tensor "${name}" (${length} bytes from element ${storageOffset}) runs past the end of its storage ${t.storage.key} (${storageBytes} bytes): truncated or corrupt`);
  return { name, dtype: t.storage.dtype, shape: [...shape], offset: storageStart + begin, length };
}
