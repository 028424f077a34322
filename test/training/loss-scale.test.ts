// The loss scaler's rules are torch.amp.GradScaler's (its documented update(): backoff 0.5 and a fresh
// growth count on an overflow, growth 2 after 2000 finite steps in a row), and its state survives a
// resume through the one-file resume state; a damaged record restarts from the initial scale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph } from '../../sidecar/graph/graph';
import { GRAD_SCALER, initialLossScale, updateLossScale } from '../../sidecar/training/loss-scale';
import { readResumeState, writeResumeState } from '../../sidecar/training/state-file';
import { writeSafetensors } from '../../sidecar/weights/safetensors';

test('GradScaler: starts at 2^16; an overflow halves the scale, restarts the growth count and counts a skipped update', () => {
  let s = initialLossScale();
  assert.deepEqual(s, { scale: 65536, growthTracker: 0, skipped: 0 });
  s = updateLossScale(s, false);
  s = updateLossScale(s, true);
  assert.deepEqual(s, { scale: 32768, growthTracker: 0, skipped: 1 });
  // an overflow in an earlier micro-batch of an accumulated step: backs off, but the update was made
  s = updateLossScale(s, true, false);
  assert.deepEqual(s, { scale: 16384, growthTracker: 0, skipped: 1 });
});

test('GradScaler: 2000 finite steps in a row double the scale, and the count starts again', () => {
  let s = initialLossScale();
  for (let i = 0; i < GRAD_SCALER.growthInterval - 1; i++) s = updateLossScale(s, false);
  assert.equal(s.scale, 65536);
  s = updateLossScale(s, false);
  assert.deepEqual(s, { scale: 131072, growthTracker: 0, skipped: 0 });
});

test('the resume state keeps the loss scale; a damaged record of it restarts from the initial scale', async () => {
  const g = new Graph('t');
  const p = g.param('conv_in.weight', 'float32', [2], { trainable: true });
  const spec = { params: [p], modules: [] };
  const dir = mkdtempSync(join(tmpdir(), 'dreambooth-scale-'));
  const state = { weights: new Map([[p.name, Float32Array.of(1, 2)]]), m: new Map([[p.name, Float32Array.of(0, 0)]]), v: new Map([[p.name, Float32Array.of(0, 0)]]), step: 3 };
  const lossScale = { scale: 8192, growthTracker: 7, skipped: 2 };
  await writeResumeState(join(dir, 'a.safetensors'), spec, { ...state, lossScale });
  assert.deepEqual((await readResumeState(join(dir, 'a.safetensors'), spec)).lossScale, lossScale);
  await writeResumeState(join(dir, 'b.safetensors'), spec, state);
  assert.equal((await readResumeState(join(dir, 'b.safetensors'), spec)).lossScale, undefined, 'no mixed precision, no scale');
  const tensors = Object.fromEntries(['', '.adam_m', '.adam_v'].map((s) => [`unet.conv_in.weight${s}`, { dtype: 'F32' as const, shape: [2], data: Float32Array.of(1, 2) }]));
  for (const bad of ['{"scale": 8192', '{"scale": -1, "growthTracker": 0, "skipped": 0}', '{"scale": 8192}']) {
    await writeSafetensors(join(dir, 'c.safetensors'), tensors, { dreambooth_step: '3', dreambooth_loss_scale: bad });
    const read = await readResumeState(join(dir, 'c.safetensors'), spec);
    assert.equal(read.lossScale, undefined, bad);
    assert.equal(read.step, 3);
  }
});
