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

test('each counted phase shows its own step/total: a phase that starts over gets a fresh bar', () => {
  const bar = new PhaseBar();
  assert.deepEqual(bar.update({ phase: 'loading model', step: 0, total: 1 }), { fresh: false, increment: 0 }, 'no count: message only');
  assert.deepEqual(bar.update({ phase: 'encoding images', step: 3, total: 6 }), { fresh: false, increment: 50 }, 'the first counted phase uses the bar as it is');
  assert.deepEqual(bar.update({ phase: 'encoding images', step: 6, total: 6 }), { fresh: false, increment: 50 });
  assert.deepEqual(bar.update({ phase: 'building the training step', step: 0, total: 1 }), { fresh: false, increment: 0 });
  assert.deepEqual(bar.update({ phase: 'training', step: 1, total: 4 }), { fresh: true, increment: 25 }, 'training does not start full');
  assert.deepEqual(bar.update({ phase: 'training', step: 1, total: 4 }), { fresh: false, increment: 0 });
  assert.deepEqual(bar.update({ phase: 'training', step: 9, total: 4 }), { fresh: false, increment: 75 }, 'never past 100');
});

test('a phase that ends where the bar is needs no fresh bar; coming back to a phase further on neither', () => {
  const bar = new PhaseBar();
  assert.deepEqual(bar.update({ phase: 'denoising', step: 2, total: 2 }), { fresh: false, increment: 100 });
  assert.deepEqual(bar.update({ phase: 'decoding', step: 1, total: 1 }), { fresh: false, increment: 0 });
  assert.deepEqual(bar.update({ phase: 'denoising', step: 2, total: 2 }), { fresh: false, increment: 0 });
  const t = new PhaseBar();
  t.update({ phase: 'training', step: 2, total: 4 });
  t.update({ phase: 'building the training step', step: 0, total: 1 });
  assert.deepEqual(t.update({ phase: 'training', step: 3, total: 4 }), { fresh: false, increment: 25 });
});
