import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PhaseBar } from '../../extension/progressText';
import { describeProgress, formatEta } from '../../protocol/progressText';

test('ETA reads in seconds, minutes or hours', () => {
  assert.equal(formatEta(0), '0s');
  assert.equal(formatEta(59.4), '59s');
  assert.equal(formatEta(64), '1m 4s');
  assert.equal(formatEta(3600 + 120), '1h 2m');
  assert.equal(formatEta(-5), '0s');
});

test('a progress line has phase, step, ETA, loss and message when present', () => {
  assert.equal(describeProgress({ phase: 'training', step: 12, total: 600, etaSeconds: 64, loss: 0.083104 }), 'training 12/600 · ETA 1m 4s · loss 0.08310');
  assert.equal(describeProgress({ phase: 'denoising', step: 1, total: 8, message: 'image 1/2' }), 'denoising 1/8 · image 1/2');
  assert.equal(describeProgress({ phase: 'x', step: 0, total: 0, loss: Number.NaN }), 'x 0/0');
});

test('each phase gets its own bar: it moves forward within a phase and starts over at the next', () => {
  const bar = new PhaseBar();
  assert.deepEqual(bar.update({ phase: 'loading model', step: 0, total: 1 }), { newPhase: true, increment: 0 });
  assert.deepEqual(bar.update({ phase: 'encoding images', step: 3, total: 6 }), { newPhase: true, increment: 50 });
  assert.deepEqual(bar.update({ phase: 'encoding images', step: 6, total: 6 }), { newPhase: false, increment: 50 });
  assert.deepEqual(bar.update({ phase: 'training', step: 1, total: 4 }), { newPhase: true, increment: 25 }, 'the training bar does not start full');
  assert.deepEqual(bar.update({ phase: 'training', step: 1, total: 4 }), { newPhase: false, increment: 0 });
  assert.deepEqual(bar.update({ phase: 'training', step: 9, total: 4 }), { newPhase: false, increment: 75 }, 'never past 100');
  assert.deepEqual(bar.update({ phase: 'building the training step', step: 0, total: 1 }), { newPhase: true, increment: 0 });
  assert.deepEqual(bar.update({ phase: 'training', step: 2, total: 4 }), { newPhase: true, increment: 50 }, 'back to a phase seen before: a fresh bar');
  assert.deepEqual(bar.update({ phase: 'x', step: 3, total: 0 }), { newPhase: true, increment: 0 });
});
