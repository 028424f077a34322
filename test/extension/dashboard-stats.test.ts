// The dashboard's derived numbers: TensorBoard-style smoothing and the ETA at the recent pace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TrainStepRecord } from '../../protocol/sidecar';
import { estimateEta, formatMiB, smooth } from '../../webview/dashboard/stats';

const close = (a: number[], b: number[]) => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Number.isNaN(b[i]!) ? Number.isNaN(x) : Math.abs(x - b[i]!) < 1e-12, `[${i}] ${x} vs ${b[i]}`));
};

test('smoothing: weight 0 is the raw series; the first point is not pulled towards 0 (bias-corrected EMA)', () => {
  close(smooth([3, 1, 2], 0), [3, 1, 2]);
  // By hand: avg1 = 0.5·3 = 1.5 → /(1−0.5) = 3; avg2 = 0.5·1.5 + 0.5·1 = 1.25 → /(1−0.25) = 5/3;
  // avg3 = 0.5·1.25 + 0.5·2 = 1.625 → /(1−0.125) = 13/7.
  close(smooth([3, 1, 2], 0.5), [3, 5 / 3, 13 / 7]);
  close(smooth([2, 2, 2, 2], 0.9), [2, 2, 2, 2]);
});

test('smoothing skips non-finite values (NaN in the result) without poisoning what follows', () => {
  close(smooth([3, Number.NaN, 1], 0.5), [3, Number.NaN, 5 / 3]);
  close(smooth([], 0.6), []);
});

const rec = (step: number, stepSeconds: number) => ({ step, stepSeconds }) as TrainStepRecord;

test('ETA: mean step time of the recent window times the steps left; 0 when done; none before a step', () => {
  assert.equal(estimateEta([], 10), undefined);
  assert.equal(estimateEta([rec(1, 2), rec(2, 4)], 10), 3 * 8);
  assert.equal(estimateEta([rec(1, 100), rec(2, 1), rec(3, 3)], 5, 2), 2 * 2, 'only the last 2 steps count');
  assert.equal(estimateEta([rec(5, 1)], 5), 0);
  assert.equal(estimateEta([rec(7, 1)], 5), 0, 'a run trained past its (lowered) steps');
});

test('memory reads in MiB or GiB', () => {
  assert.equal(formatMiB(850.4), '850 MiB');
  assert.equal(formatMiB(1536), '1.5 GiB');
});
