// Numbers → little-endian bytes of an ONNX element type (for constants and test data).
import type { DType } from '../graph/types';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer); // u32[0]: the bits of f32[0]

/** float32 → IEEE half bits, round to nearest even (handles subnormals, overflow to ±inf, NaN). */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/** float32 → bfloat16 bits, round to nearest even. */
export function toBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function encodeValues(values: ArrayLike<number>, dtype: DType): Uint8Array {
  // values[i]! below: i < n = values.length
  const n = values.length;
  switch (dtype) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float64':
      return new Uint8Array(Float64Array.from(values).buffer);
    case 'float16':
      return new Uint8Array(Uint16Array.from({ length: n }, (_, i) => toHalfBits(values[i]!)).buffer);
    case 'bfloat16':
      return new Uint8Array(Uint16Array.from({ length: n }, (_, i) => toBfloat16Bits(values[i]!)).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from({ length: n }, (_, i) => BigInt(Math.trunc(values[i]!))).buffer);
    case 'int32':
      return new Uint8Array(Int32Array.from(values).buffer);
    case 'bool':
    case 'uint8':
      return Uint8Array.from(values);
  }
}
