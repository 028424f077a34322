// The safetensors dtypes we support, their item sizes and the typed array that views their bytes.
// F16 and BF16 have no JavaScript typed array: they are returned as raw bit patterns (Uint16Array);
// `safetensors-half.ts` converts them. BOOL is one byte per element (0 or 1), viewed as Uint8Array.

export type StDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export type TypedArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

interface DTypeInfo {
  readonly itemSize: number;
  readonly view: (buffer: ArrayBuffer, byteOffset: number, length: number) => TypedArray;
}

export const DTYPES: Readonly<Record<StDType, DTypeInfo>> = {
  F64: { itemSize: 8, view: (b, o, n) => new Float64Array(b, o, n) },
  F32: { itemSize: 4, view: (b, o, n) => new Float32Array(b, o, n) },
  F16: { itemSize: 2, view: (b, o, n) => new Uint16Array(b, o, n) },
  BF16: { itemSize: 2, view: (b, o, n) => new Uint16Array(b, o, n) },
  I64: { itemSize: 8, view: (b, o, n) => new BigInt64Array(b, o, n) },
  I32: { itemSize: 4, view: (b, o, n) => new Int32Array(b, o, n) },
  I16: { itemSize: 2, view: (b, o, n) => new Int16Array(b, o, n) },
  I8: { itemSize: 1, view: (b, o, n) => new Int8Array(b, o, n) },
  U8: { itemSize: 1, view: (b, o, n) => new Uint8Array(b, o, n) },
  BOOL: { itemSize: 1, view: (b, o, n) => new Uint8Array(b, o, n) },
};

export function isStDType(s: unknown): s is StDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, s);
}

/** Number of elements of a shape; [] is a scalar (1 element). Returns NaN if not a safe integer. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) return NaN;
  }
  return n;
}
