// The conformance runner itself: it fails when a reference disagrees (a perturbed copy of a fixture),
// reports skips as failures under --strict, and reads Python's JSON (bare -Infinity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, symlinkSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../sidecar/cli/conformance';
import { parsePythonJson } from '../../sidecar/cli/conformance/context';
import { HINT_FACTOR, hintTolerance, maxAbsDiff } from '../../sidecar/cli/conformance/compare';
import { readSafetensorsIndex, readTensor, writeSafetensors, type StWriteTensor } from '../../sidecar/weights/safetensors';

const TINY = join(__dirname, '../../fixtures/tiny-sd');

/** Symlinked copy of the fixture folder with cases/unet.safetensors rewritten by `edit`. */
async function perturbedFixture(edit: (name: string, data: Float32Array) => void): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'h5-conf-'));
  for (const e of readdirSync(TINY)) {
    if (e === 'cases') continue;
    if (statSync(join(TINY, e)).isDirectory()) symlinkSync(join(TINY, e), join(dir, e));
    else copyFileSync(join(TINY, e), join(dir, e));
  }
  mkdirSync(join(dir, 'cases'));
  for (const f of readdirSync(join(TINY, 'cases'))) if (f !== 'unet.safetensors') symlinkSync(join(TINY, 'cases', f), join(dir, 'cases', f));
  const idx = await readSafetensorsIndex(join(TINY, 'cases/unet.safetensors'));
  const tensors: Record<string, StWriteTensor> = {};
  for (const name of idx.tensors.keys()) {
    const t = await readTensor(idx, name);
    const data = (t.data as Float32Array).slice();
    edit(name, data);
    tensors[name] = { dtype: 'F32', shape: t.shape, data };
  }
  await writeSafetensors(join(dir, 'cases/unet.safetensors'), tensors);
  return dir;
}

async function capture(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, (s) => (out += s));
  return { code, out };
}

test('a reference that disagrees by more than the tolerance fails the case and the run', async () => {
  // unet_t1's tolerance is 20 x 2.9e-6 ≈ 5.8e-5; move one reference value by 1e-3.
  const dir = await perturbedFixture((name, d) => {
    if (name === 't1.noise_pred') d[123] = d[123]! + 1e-3;
  });
  const r = await capture([dir, '--only', 'unet_t1,unet_t999']);
  assert.equal(r.code, 1);
  assert.match(r.out, /^fail {2}unet_t1 +max_err 1\.00e-3/m);
  assert.match(r.out, /^pass {2}unet_t999 /m);
});

test('--strict turns skips into a failing exit status', async () => {
  const r = await capture([TINY, '--strict', '--only', 'lora_dreambooth_step']);
  assert.match(r.out, /^skip {2}lora_dreambooth_step/m);
  assert.equal(r.code, 1);
  assert.equal((await capture([TINY, '--only', 'lora_dreambooth_step'])).code, 0);
});

test('tolerance policy and helpers', () => {
  assert.equal(hintTolerance(1e-6), HINT_FACTOR * 1e-6);
  assert.equal(maxAbsDiff(Float32Array.of(1, 2), Float32Array.of(1, 2.5), 'x'), 0.5);
  assert.equal(maxAbsDiff(Float32Array.of(NaN), Float32Array.of(0), 'x'), Infinity);
  assert.deepEqual(parsePythonJson('{"a": -Infinity, "b": "NaN -Infinity", "c": [Infinity, NaN]}'), { a: -Infinity, b: 'NaN -Infinity', c: [Infinity, NaN] });
});
