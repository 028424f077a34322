// A float16 checkpoint on the CPU provider: its filters are staged once in MLAS's blocked layout and its
// Convs run as ORT's blocked-layout kernels (pipeline/blocked-filters.ts), with the outputs of the plain
// layout; a runtime without those kernels stages nothing extra.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, it } from 'node:test';
import { SdModel } from '../../sidecar/pipeline/sd-model';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { tinySingleFile, TINY } from '../weights/layout-helpers';
import { tempOwner } from '../../sidecar/weights/atomic-file';

let rt: Runtime;
before(async () => {
  rt = await openRuntime({ providers: ['cpu'], threads: 1 });
});
after(() => rt.close());

/** The same runtime, reporting no blocked kernels. */
const withoutBlocks = (r: Runtime): Runtime => Object.create(r, { nchwcBlock: { value: 0 } }) as Runtime;

/** The built files (`built-…/filters-nchwc*.bin`) and their links in staged models' entries. */
const filterFiles = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /filters-nchwc\d+\.bin$/.test(f));
const staged = (dir: string) => filterFiles(dir).filter((f) => f.startsWith('built-'));

function maxRel(a: Float32Array, b: Float32Array): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return e;
}

it('UNet and VAE decoder: blocked float16 filters give the plain layout’s outputs; staged once, reused', async (t) => {
  if (!rt.nchwcBlock) return t.skip('this CPU/ORT has no blocked-layout Conv kernels');
  const file = await tinySingleFile('F16');
  const [fastDir, plainDir] = [mkdtempSync(join(tmpdir(), 'nchwc-fast-')), mkdtempSync(join(tmpdir(), 'nchwc-plain-'))];
  const fast = await SdModel.open(file, rt, { configsFrom: TINY, cacheDir: fastDir });
  const plain = await SdModel.open(file, withoutBlocks(rt), { configsFrom: TINY, cacheDir: plainDir });
  const size = { batch: 2, height: 8, width: 8 };
  const sample = Float32Array.from({ length: 2 * 4 * 64 }, (_, i) => Math.sin(i * 0.3));
  const context = Float32Array.from({ length: 2 * 77 * 32 }, (_, i) => Math.cos(i * 0.1));
  try {
    const [u1, u0] = [await fast.unet(sample, [500, 500], context, size), await plain.unet(sample, [500, 500], context, size)];
    assert.ok(maxRel(u1.noise_pred!, u0.noise_pred!) < 1e-4, 'UNet');
    const z = sample.subarray(0, 4 * 64);
    assert.ok(maxRel(await fast.vaeDecode(z, { batch: 1, height: 8, width: 8 }), await plain.vaeDecode(z, { batch: 1, height: 8, width: 8 })) < 1e-4, 'VAE decoder');
    assert.deepEqual(staged(plainDir), [], 'no blocked kernels: nothing staged');
    const blobs = staged(fastDir);
    assert.equal(blobs.length, 2, `one file each for the UNet and the decoder: ${blobs}`);
    const inodes = new Set(blobs.map((f) => statSync(join(fastDir, f)).ino));
    for (const f of filterFiles(fastDir)) assert.ok(inodes.has(statSync(join(fastDir, f)).ino), `${f} is a link to a built file`);
    const mtimes = blobs.map((f) => statSync(join(fastDir, f)).mtimeMs);
    // Another image size (another staged UNet) and a second model over the same file share them.
    const again = await SdModel.open(file, rt, { configsFrom: TINY, cacheDir: fastDir });
    await again.unet(sample.subarray(0, 4 * 64), [500], context.subarray(0, 77 * 32), { batch: 1, height: 8, width: 8 });
    await again.close();
    assert.deepEqual(staged(fastDir), blobs);
    assert.deepEqual(blobs.map((f) => statSync(join(fastDir, f)).mtimeMs), mtimes, 'not written again');
  } finally {
    await fast.close();
    await plain.close();
  }
});

it('a blocked copy that cannot be written (disk full) leaves the filters in the plain layout, and the model runs', async (t) => {
  if (!rt.nchwcBlock) return t.skip('this CPU/ORT has no blocked-layout Conv kernels');
  const file = await tinySingleFile('F16');
  const fs = require('node:fs/promises') as typeof import('node:fs/promises');
  const realOpen = fs.open;
  t.mock.method(fs, 'open', (path: string, flags?: string) => {
    if (tempOwner(basename(String(path))) !== undefined && flags === 'w') return Promise.reject(Object.assign(new Error(`ENOSPC: no space left on device, open '${path}'`), { code: 'ENOSPC' }));
    return realOpen(path, flags);
  });
  const dir = mkdtempSync(join(tmpdir(), 'nchwc-full-'));
  const model = await SdModel.open(file, rt, { configsFrom: TINY, cacheDir: dir });
  try {
    const z = Float32Array.from({ length: 4 * 64 }, (_, i) => Math.sin(i));
    const img = await model.vaeDecode(z, { batch: 1, height: 8, width: 8 });
    assert.ok(img.length > 0 && img.every(Number.isFinite));
    assert.deepEqual(filterFiles(dir), [], 'nothing blocked, nothing half-written');
  } finally {
    await model.close();
  }
});
