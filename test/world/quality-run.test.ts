// One benchmark row end to end on the world's own renders (the ceiling row): images per prompt are
// written, recognised, and score as a model that knew the world perfectly should.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openRuntime } from '../../sidecar/runtime/runtime';
import { Recogniser } from '../../world/recogniser/recognise';
import { imagesIn, readRgb } from '../../world/quality/images';
import { FIDELITY_PROMPTS } from '../../world/quality/prompts';
import { measureVariant } from '../../world/quality/run';

test('the world-renders row: every prompt drawn, fidelity and identity near 100%, prior without the subject', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'quality-'));
  const runtime = await openRuntime({ providers: ['cpu'] });
  const recogniser = await Recogniser.open({ runtime });
  try {
    const files = await imagesIn(join(__dirname, '..', '..', 'examples', 'shape-ohwx', 'photos'));
    const instances = await recogniser.recognise(await readRgb(files), files.length);
    const ctx = { progress: () => undefined, log: () => undefined, signal: new AbortController().signal };
    const { row, images } = await measureVariant({ name: 'world', world: true }, { count: 3, steps: 1, guidance: 0, seed: 5, outDir: dir, runtime, recogniser, instances, ctx });
    assert.equal(images.length, FIDELITY_PROMPTS.length + 2);
    for (const f of images) assert.equal(f.length, 3);
    assert.ok(row.fidelity.shape >= 0.9 && row.fidelity.colour >= 0.9 && row.fidelity.background >= 0.9, JSON.stringify(row.fidelity));
    assert.equal(row.identity.recognised, 1);
    assert.equal(row.prior.subject, 0);
    assert.ok(row.prior.shape >= 2 / 3);
  } finally {
    await recogniser.close();
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  }
});
