// The plain values a pickle is read into. Nothing here can run: a "global" is a name looked up in
// allowed-globals.ts, and an object of an allowed class is an inert record of what it was built from.
import type { StDType } from '../safetensors-dtypes';

export class PickleError extends Error {
  /** `truncated`: the bytes ended before STOP (a reader of a longer file may retry with more). */
  constructor(
    message: string,
    readonly truncated = false,
  ) {
    super(message);
    this.name = 'PickleError';
  }
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A dict (or OrderedDict): insertion-ordered, keyed by the primitive value (or object identity). */
export class PyDict {
  readonly map = new Map<PyValue, PyValue>();
}

export class PySet {
  constructor(readonly items: PyValue[] = []) {}
}

/** What an allowed global is: how REDUCE (a call) and NEWOBJ (`cls.__new__`) build values from it. */
export interface GlobalSpec {
  call?: (args: PyValue[]) => PyValue;
  newobj?: (args: PyValue[]) => PyValue;
  /** A torch storage class (`torch.FloatStorage`): the dtype of its elements. */
  storage?: StDType;
}

/** A `module.name` the allow-list accepts; calling it runs our own code in allowed-globals.ts. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly spec: GlobalSpec,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a harmless class (a Lightning callback, a numpy scalar): kept, never used. */
export class PyObject {
  state: PyValue = null;
  constructor(
    readonly cls: string,
    readonly args: PyValue[],
  ) {}
}

/** A storage a torch pickle refers to by persistent id (its bytes are a record of the container). */
export class TorchStorage {
  constructor(
    readonly key: string,
    readonly dtype: StDType,
    readonly numel: number,
  ) {}
}

/** A tensor as torch.save describes it: a view (offset, shape, strides in elements) into a storage. */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

export type PyValue = null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PySet | PyGlobal | PyObject | TorchStorage | TorchTensor;

/** A short description of a value for error messages (never walks deeper than one level). */
export function describe(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return `str ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `int/float ${v}`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v instanceof Uint8Array) return `bytes (${v.length})`;
  if (Array.isArray(v)) return `list (${v.length} items)`;
  if (v instanceof PyTuple) return `tuple (${v.items.length} items)`;
  if (v instanceof PyDict) return `dict (${v.map.size} items)`;
  if (v instanceof PySet) return `set (${v.items.length} items)`;
  if (v instanceof PyGlobal) return `global ${v.qualified}`;
  if (v instanceof PyObject) return `${v.cls} object`;
  if (v instanceof TorchStorage) return `storage ${v.key}`;
  return `tensor [${v.shape.join(', ')}]`;
}

/** An integer argument as a safe JS number, or undefined. */
export function asInt(v: PyValue): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return undefined;
}
