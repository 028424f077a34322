// The staged-model cache: least-recently-used pruning that counts only the cache's own bytes (hard
// links to the user's weights are free), `cache clean` that never touches the user's files, and a
// corrupt entry rebuilt on load instead of failing the job.
import assert from 'node:assert/strict';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { cacheRoot, cleanCache, listEntries, pruneCache } from '../../sidecar/runtime/cache';
import { generate } from '../../sidecar/jobs/generate';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { recordingContext } from '../helpers/example-project';

const root = mkdtempSync(join(tmpdir(), 'dreambooth-cache-'));
let runtime: Runtime;
before(async () => {
  runtime = await openRuntime({ providers: ['cpu'] });
});
after(async () => {
  await runtime.close();
});

function entry(dir: string, name: string, ownBytes: number, ageS: number, linkTo?: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'model.onnx'), Buffer.alloc(ownBytes));
  if (linkTo) linkSync(linkTo, join(d, 'weights.safetensors'));
  const t = new Date(Date.now() - ageS * 1000);
  utimesSync(d, t, t);
  return d;
}

test('the cache folder follows DREAMBOOTH_CACHE, then XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(cacheRoot({ DREAMBOOTH_CACHE: '/c' }), '/c');
  if (process.platform === 'linux') assert.equal(cacheRoot({ XDG_CACHE_HOME: '/x' }), '/x/dreambooth');
});

test('pruning drops the least recently used entries until under the cap, counting only own bytes', async () => {
  const dir = join(root, 'prune');
  const weights = join(root, 'user-weights.safetensors');
  writeFileSync(weights, Buffer.alloc(1 << 20)); // 1 MiB the user owns, linked from every entry
  entry(dir, 'old', 4000, 300, weights);
  entry(dir, 'mid', 4000, 200, weights);
  const keep = entry(dir, 'new', 4000, 100, weights);
  assert.deepEqual((await listEntries(dir)).map((e) => e.ownBytes), [4000, 4000, 4000], 'hard links are not counted');
  const removed = await pruneCache(dir, 9000, keep);
  assert.deepEqual(removed.map((e) => e.dir.split('/').pop()), ['old']);
  await pruneCache(dir, 0, keep);
  assert.deepEqual(readdirSync(dir), ['new'], 'the entry in use is kept even over the cap');
  const r = await cleanCache(dir);
  assert.equal(r.entries, 1);
  assert.deepEqual(readdirSync(dir), []);
  assert.equal(readFileSync(weights).length, 1 << 20, "the user's file is intact");
});

test('a corrupt staged model is rebuilt, and the job gives the same image', async () => {
  const cacheDir = join(root, 'staged');
  const params = { model: resolve('fixtures/tiny-sd'), prompt: 'a cat', negativePrompt: '', count: 1, steps: 2, guidance: 7.5, sampler: 'ddim' as const, seed: 3, width: 64, height: 64 };
  const [first] = await generate({ ...params, outDir: join(root, 'out1') }, recordingContext().ctx, { runtime, cacheDir });
  const models = readdirSync(cacheDir).map((d) => join(cacheDir, d, 'model.onnx')).filter(existsSync);
  assert.ok(models.length >= 3, `text encoder, UNet and VAE staged: ${models.length}`);
  for (const m of models) writeFileSync(m, 'garbage: not a protobuf');
  const [second] = await generate({ ...params, outDir: join(root, 'out2') }, recordingContext().ctx, { runtime, cacheDir });
  assert.deepEqual(readFileSync(second!), readFileSync(first!));
});
