// The conformance runner itself: it fails when a reference disagrees (a perturbed copy of a fixture),
// skips unknown case kinds (a failure under --strict), and reads Python's JSON (bare -Infinity).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, symlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './run';
import { parsePythonJson } from './cases/context';
import { HINT_FACTOR, hintTolerance, maxAbsDiff } from './cases/compare';
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
  const err = Number(/^fail {2}unet_t1 +max_err (\S+)/m.exec(r.out)?.[1]);
  assert.ok(Math.abs(err - 1e-3) < 1e-4, `unet_t1 reported max_err ${err}, expected about the 1e-3 perturbation\n${r.out}`);
  assert.match(r.out, /^pass {2}unet_t999 /m);
});

test('unknown case kinds are skipped; --strict turns skips into a failing exit status', async () => {
  const dir = await perturbedFixture(() => undefined);
  const index = parsePythonJson(readFileSync(join(TINY, 'index.json'), 'utf8')) as { cases: unknown[] };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ ...index, cases: [...index.cases, { name: 'from_the_future', kind: 'img2img' }] }));
  const strict = await capture([dir, '--strict', '--only', 'from_the_future,unet_t1']);
  assert.match(strict.out, /^skip {2}from_the_future +unknown case kind "img2img"/m);
  assert.match(strict.out, /^pass {2}unet_t1 /m);
  assert.equal(strict.code, 1);
  assert.equal((await capture([dir, '--only', 'from_the_future'])).code, 0);
});

test('tolerance policy and helpers', () => {
  assert.equal(hintTolerance(1e-6), HINT_FACTOR * 1e-6);
  assert.equal(maxAbsDiff(Float32Array.of(1, 2), Float32Array.of(1, 2.5), 'x'), 0.5);
  assert.equal(maxAbsDiff(Float32Array.of(NaN), Float32Array.of(0), 'x'), Infinity);
  assert.deepEqual(parsePythonJson('{"a": -Infinity, "b": "NaN -Infinity", "c": [Infinity, NaN]}'), { a: -Infinity, b: 'NaN -Infinity', c: [Infinity, NaN] });
});
