import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16ArrayToF32, bf16BitsToF32, f16ArrayToF32, f16BitsToF32, f32ArrayToBf16, f32ArrayToF16, f32ToBf16Bits, f32ToF16Bits } from '../../sidecar/weights/safetensors-half';

test('f16 decode: known values (IEEE 754 binary16 table)', () => {
  const cases: [number, number][] = [
    [0x0000, 0], [0x3c00, 1], [0xc000, -2], [0x7bff, 65504], [0x0400, 2 ** -14],
    [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x3555, 0.333251953125], [0x7c00, Infinity], [0xfc00, -Infinity],
  ];
  for (const [bits, v] of cases) assert.equal(f16BitsToF32(bits), v, bits.toString(16));
  assert.ok(Number.isNaN(f16BitsToF32(0x7e00)));
  assert.ok(Object.is(f16BitsToF32(0x8000), -0));
});

test('f16 encode: every finite half round-trips; midpoints round to even; just above rounds up', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = f16BitsToF32(h);
    if (Number.isNaN(v)) {
      assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(v))));
      continue;
    }
    assert.equal(f32ToF16Bits(v), h, `round trip of ${h.toString(16)}`);
    if ((h & 0x7fff) >= 0x7bff) continue; // no finite successor
    const next = f16BitsToF32(h + 1);
    const mid = (v + next) / 2; // exact in f32 (one more bit than half)
    const even = h & 1 ? h + 1 : h;
    assert.equal(f32ToF16Bits(mid), even, `tie at ${mid}`);
    const above = mid + (next - v) / 1024; // still exactly representable in f32
    if (Math.fround(above) === above) assert.equal(f32ToF16Bits(above), h + 1, `above tie at ${mid}`);
  }
  assert.equal(f32ToF16Bits(65520), 0x7c00, 'halfway to 2^16 overflows to Inf');
  assert.equal(f32ToF16Bits(1e10), 0x7c00);
  assert.equal(f32ToF16Bits(-1e10), 0xfc00);
  assert.equal(f32ToF16Bits(2 ** -26), 0, 'below half the smallest subnormal → 0');
  assert.equal(f32ToF16Bits(-(2 ** -25)), 0x8000, 'exactly half the smallest subnormal → -0 (even)');
  assert.equal(f32ToF16Bits(2 ** -25 * 1.0001), 0x0001);
});

test('bf16: decode is the top half of an f32; encode rounds to nearest even', () => {
  assert.equal(bf16BitsToF32(0x3f80), 1);
  assert.equal(bf16BitsToF32(0xc049), -3.140625);
  assert.equal(bf16BitsToF32(0x7f80), Infinity);
  assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN))));
  for (let b = 0; b < 0x10000; b++) {
    const v = bf16BitsToF32(b);
    if (Number.isNaN(v)) continue;
    assert.equal(f32ToBf16Bits(v), b);
    if ((b & 0x7fff) >= 0x7f7f) continue;
    const next = bf16BitsToF32(b + 1);
    const mid = (v + next) / 2;
    assert.equal(f32ToBf16Bits(mid), b & 1 ? b + 1 : b, `tie at ${mid}`);
  }
  assert.equal(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -20), 0x3f81, 'just above the tie rounds up');
});

test('array conversions agree with the scalar ones on every bit pattern', () => {
  const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
  const h = f16ArrayToF32(all);
  const b = bf16ArrayToF32(all);
  for (let i = 0; i < 0x10000; i++) {
    assert.ok(Object.is(h[i], Math.fround(f16BitsToF32(i))) || (Number.isNaN(h[i]) && Number.isNaN(f16BitsToF32(i))), `f16 ${i}`);
    assert.ok(Object.is(b[i], bf16BitsToF32(i)) || (Number.isNaN(b[i]) && Number.isNaN(bf16BitsToF32(i))), `bf16 ${i}`);
  }
  const xs = new Float32Array([0, -0, 1.5, -65504, 1e-7, Infinity, NaN]);
  assert.deepEqual(Array.from(f32ArrayToF16(xs)), Array.from(xs, f32ToF16Bits));
  assert.deepEqual(Array.from(f32ArrayToBf16(xs)), Array.from(xs, f32ToBf16Bits));
});
