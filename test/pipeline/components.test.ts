// Loading a network when the staging cache is on another file system than the weights (no hard links
// possible: /dev/shm is a tmpfs here): the same outputs as the in-place path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRuntime } from '../../sidecar/runtime/runtime';
import { SdModel } from '../../sidecar/pipeline/sd-model';

const TINY = join(__dirname, '../../fixtures/tiny-sd');
const otherFs = existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(TINY).dev;

test('across file systems, tensors are read by range and give the same outputs', { skip: otherFs ? false : 'no second file system (/dev/shm) to stage on' }, async () => {
  const rt = await openRuntime({ providers: ['cpu'], threads: 1 });
  const near = await SdModel.open(TINY, rt, { cacheDir: mkdtempSync(join(tmpdir(), 'h5-near-')) });
  const far = await SdModel.open(TINY, rt, { cacheDir: mkdtempSync('/dev/shm/h5-far-') });
  try {
    const ids = [[49406, 1125, 539, 48136, 2533, ...Array(72).fill(49407)]];
    const a = (await near.encodeText(ids)).last_hidden_state!;
    const b = (await far.encodeText(ids)).last_hidden_state!;
    assert.deepEqual(b, a);
    const z = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i));
    assert.deepEqual(await far.vaeDecode(z, { batch: 1, height: 8, width: 8 }), await near.vaeDecode(z, { batch: 1, height: 8, width: 8 }));
  } finally {
    await near.close();
    await far.close();
    await rt.close();
  }
});

test('weights reached through symlinks (as in the Hugging Face cache) load and run', async () => {
  const { tinyFolder } = await import('../weights/layout-helpers');
  const rt = await openRuntime({ providers: ['cpu'], threads: 1 });
  const linked = await SdModel.open(tinyFolder(), rt, { cacheDir: mkdtempSync(join(tmpdir(), 'h5-links-')) });
  const direct = await SdModel.open(TINY, rt, { cacheDir: mkdtempSync(join(tmpdir(), 'h5-direct-')) });
  try {
    const ids = [[49406, 320, 1125, ...Array(74).fill(49407)]];
    assert.deepEqual((await linked.encodeText(ids)).last_hidden_state, (await direct.encodeText(ids)).last_hidden_state);
  } finally {
    await linked.close();
    await direct.close();
    await rt.close();
  }
});
