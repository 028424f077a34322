import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TorchGenerator } from '../../sidecar/random/torch-generator';
import { Mt19937 } from '../../sidecar/random/mt19937';
import { readSafetensorsIndex, readTensorF32 } from '../../sidecar/weights/safetensors';

const FIXTURES = join(import.meta.dirname, '../../fixtures');
const meta = JSON.parse(readFileSync(join(FIXTURES, 'torch-randn.json'), 'utf8')) as {
  cases: { seed: number; shape: number[]; first: string; second: string }[];
};

test('mt19937: the 10000th output for the default seed 5489 is 4123659995 (C++ std::mt19937 conformance value)', () => {
  const mt = new Mt19937(5489);
  let v = 0;
  for (let i = 0; i < 10000; i++) v = mt.nextU32();
  assert.equal(v, 4123659995);
});

test('randn matches torch.randn for every case in fixtures/torch-randn (first and second draw)', async () => {
  const index = await readSafetensorsIndex(join(FIXTURES, 'torch-randn.safetensors'));
  for (const c of meta.cases) {
    const g = new TorchGenerator(c.seed);
    for (const key of [c.first, c.second]) {
      const expected = (await readTensorF32(index, key)).data;
      const got = g.randn(c.shape);
      assert.equal(got.length, expected.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) {
        // torch computes log/sin/cos in float32 (vectorised approximations on AVX2): allow a few
        // float32 ulps of the value, plus a few ulps of the radius for results near zero
        const tol = 4 * 2 ** -23 * Math.max(Math.abs(expected[i]!), 1);
        const err = Math.abs(got[i]! - expected[i]!);
        worst = Math.max(worst, err / tol);
        assert.ok(err <= tol, `${key}[${i}] (seed ${c.seed}, shape [${c.shape}]): got ${got[i]}, torch ${expected[i]}`);
      }
    }
  }
});

test('seeds are taken mod 2^32 like torch, and must be non-negative integers', () => {
  const a = new TorchGenerator(5).randn([20]);
  const b = new TorchGenerator(2n ** 32n + 5n).randn([20]);
  assert.deepEqual(a, b);
  assert.throws(() => new TorchGenerator(-1), RangeError);
});

test('rand draws the uniforms that randn (numel ≥ 16) transforms: Box–Muller of rand reproduces torch.randn', async () => {
  const index = await readSafetensorsIndex(join(FIXTURES, 'torch-randn.safetensors'));
  const c = meta.cases.find((x) => x.shape.reduce((a, b) => a * b, 1) % 16 === 0)!;
  const expected = (await readTensorF32(index, c.first)).data;
  const u = new TorchGenerator(c.seed).rand([expected.length]);
  for (const x of u) assert.ok(x >= 0 && x < 1 && Number.isInteger(x * 2 ** 24));
  for (let i = 0; i < expected.length; i += 16) {
    for (let j = i; j < i + 8; j++) {
      const r = Math.sqrt(-2 * Math.log(1 - u[j]!));
      const theta = 2 * Math.PI * u[j + 8]!; // float64 here, float32 in torch: allow ~100 ulp
      assert.ok(Math.abs(r * Math.cos(theta) - expected[j]!) < 1e-5 * Math.max(1, r), `${c.first}[${j}]`);
      assert.ok(Math.abs(r * Math.sin(theta) - expected[j + 8]!) < 1e-5 * Math.max(1, r), `${c.first}[${j + 8}]`);
    }
  }
});

test('randint stays in range and covers it', () => {
  const v = new TorchGenerator(3).randint(0, 1000, [5000]);
  assert.ok(v.every((t) => Number.isInteger(t) && t >= 0 && t < 1000));
  assert.ok(new Set(v).size > 900);
  assert.throws(() => new TorchGenerator(3).randint(5, 5, [1]), RangeError);
});
