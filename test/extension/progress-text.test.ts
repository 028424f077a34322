import assert from 'node:assert/strict';
import { test } from 'node:test';
import { progressIncrement } from '../../extension/progressText';
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

test('the notification bar only moves forward, up to 100', () => {
  assert.equal(progressIncrement({ step: 5, total: 10 }, 0), 50);
  assert.equal(progressIncrement({ step: 5, total: 10 }, 50), 0);
  assert.equal(progressIncrement({ step: 1, total: 10 }, 50), 0); // a new phase starts over: no going back
  assert.equal(progressIncrement({ step: 20, total: 10 }, 0), 100);
  assert.equal(progressIncrement({ step: 3, total: 0 }, 0), 0);
});
