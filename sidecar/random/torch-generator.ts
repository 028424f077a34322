// A bit-compatible replacement for `torch.Generator()` on CPU, for the one thing SD needs from it:
// `torch.randn(shape, generator=g)` in float32. Same seed → same latents as diffusers on CPU, so a
// seed written in a PNG reproduces the image (up to float rounding of log/sin/cos).
//
// PyTorch's CPU normal kernel (aten/src/ATen/native/cpu/DistributionTemplates.h) has two paths:
//  1. numel ≥ 16 (contiguous float32), `normal_fill`: first draw one uniform float per element,
//     u = (mt() & (2^24-1)) / 2^24; then for each full chunk of 16, Box–Muller on pairs (j, j+8):
//     r = sqrt(-2·ln(1-u[j])), θ = 2π·u[j+8], out[j] = r·cos θ, out[j+8] = r·sin θ.
//     If numel % 16 ≠ 0, the last 16 elements are drawn afresh (16 more uniforms) and transformed
//     again, overwriting part of the last full chunk. Arithmetic is in float32.
//  2. numel < 16, `normal_distribution<double>`: per element, either the cached second value of the
//     previous pair or a new pair from two 53-bit uniforms u1, u2 (each from one 64-bit draw =
//     two mt() outputs, high word first): r = sqrt(-2·ln(1-u2)), θ = 2π·u1, return r·cos θ and cache
//     r·sin θ. The cache lives in the generator, so it carries over into the next call.

import { Mt19937 } from './mt19937';

const TWO_POW_24 = 2 ** 24;
const TWO_POW_53 = 2 ** 53;
const TWO_PI_F32 = Math.fround(2 * Math.PI);

export class TorchGenerator {
  private readonly mt: Mt19937;
  private cachedNormal: number | undefined;

  /** `seed`: a non-negative integer; like torch, only its low 32 bits seed the engine. */
  constructor(readonly seed: number | bigint) {
    const s = BigInt(seed);
    if (s < 0n || s >= 2n ** 64n) throw new RangeError(`seed must be an integer in [0, 2^64), got ${seed}`);
    this.mt = new Mt19937(Number(s & 0xffffffffn));
  }

  /** `torch.randn(shape, generator=this)` (float32, CPU). */
  randn(shape: readonly number[]): Float32Array {
    const n = count(shape);
    return n >= 16 ? this.normalFill(n) : this.normalSerial(n);
  }

  /** `torch.rand(shape, generator=this)` (float32, CPU): one 32-bit draw per element, 24 bits kept. */
  rand(shape: readonly number[]): Float32Array {
    const out = new Float32Array(count(shape));
    for (let i = 0; i < out.length; i++) out[i] = this.uniformF32();
    return out;
  }

  /**
   * `torch.randint(low, high, shape, generator=this)` (CPU): (draw mod (high − low)) + low, one
   * 32-bit draw per element (ranges ≥ 2^32 are not supported). Used for training timesteps.
   */
  randint(low: number, high: number, shape: readonly number[]): number[] {
    const range = high - low;
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || range < 1 || range >= 2 ** 32) throw new RangeError(`randint: need integers low < high with high − low < 2^32, got [${low}, ${high})`);
    return Array.from({ length: count(shape) }, () => (this.mt.nextU32() % range) + low);
  }

  private uniformF32(): number {
    return (this.mt.nextU32() & 0xffffff) / TWO_POW_24;
  }

  private uniformF64(): number {
    const hi = this.mt.nextU32();
    const lo = this.mt.nextU32();
    // (hi·2^32 + lo) & (2^53 - 1) = (hi & (2^21 - 1))·2^32 + lo, exact in a double
    return ((hi & 0x1fffff) * 2 ** 32 + lo) / TWO_POW_53;
  }

  private normalFill(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniformF32();
    for (let i = 0; i + 16 <= n; i += 16) boxMuller16(out, i);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) out[i] = this.uniformF32();
      boxMuller16(out, n - 16);
    }
    return out;
  }

  private normalSerial(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (this.cachedNormal !== undefined) {
        out[i] = this.cachedNormal;
        this.cachedNormal = undefined;
        continue;
      }
      const u1 = this.uniformF64();
      const u2 = this.uniformF64();
      const r = Math.sqrt(-2 * Math.log1p(-u2));
      const theta = 2 * Math.PI * u1;
      this.cachedNormal = r * Math.sin(theta);
      out[i] = r * Math.cos(theta);
    }
    return out;
  }
}

function count(shape: readonly number[]): number {
  const n = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(n) || n < 0 || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new RangeError(`bad shape [${shape.join(', ')}]`);
  return n;
}

/** Box–Muller over one chunk of 16 uniforms in place, rounding to float32 where torch does. */
function boxMuller16(d: Float32Array, at: number): void {
  const f = Math.fround;
  for (let j = at; j < at + 8; j++) {
    const u1 = 1 - d[j]!; // (0, 1]: exact in float32
    const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
    const theta = f(TWO_PI_F32 * d[j + 8]!);
    d[j] = radius * f(Math.cos(theta));
    d[j + 8] = radius * f(Math.sin(theta));
  }
}
