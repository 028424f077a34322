// The embedded default model (data/world-sd, world/base/) draws what a prompt names: with no model
// given, jobs use it, and the recogniser finds the prompted colours and backgrounds far above chance
// (1/8) on the quality benchmark's prompts. A broken export, loader or sampler for this model fails it.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openRuntime } from '../../sidecar/runtime/runtime';
import { Recogniser } from '../../world/recogniser/recognise';
import { measureVariant } from '../../world/quality/run';

test('no model given: the bundled world model draws the prompted colours and backgrounds', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'world-model-'));
  const runtime = await openRuntime({ providers: ['cpu'] });
  const recogniser = await Recogniser.open({ runtime });
  const logs: string[] = [];
  try {
    const ctx = { progress: () => undefined, log: (_: string, m: string) => void logs.push(m), signal: new AbortController().signal };
    const { row } = await measureVariant({ name: 'default', model: '' }, { count: 2, steps: 20, guidance: 7.5, seed: 1, outDir: dir, runtime, recogniser, instances: [], ctx });
    assert.ok(logs.some((m) => /bundled world model .*world-sd/.test(m)), logs.join('\n'));
    assert.ok(row.fidelity.colour >= 0.4 && row.fidelity.background >= 0.4, JSON.stringify(row.fidelity));
  } finally {
    await recogniser.close();
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  }
});
