// Nearest upsampling to an explicit size (diffusers' upsample_size for latents that are not a multiple of
// 2^(blocks-1)) picks the sources torch's 'nearest' mode picks: floor(i · scale) with scale = in/out
// computed in float32, clamped to the last input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nearestIndices } from '../../sidecar/models/resnet';

function torchNearest(n: number, m: number): number[] {
  const scale = Math.fround(n / m);
  return Array.from({ length: m }, (_, i) => Math.min(n - 1, Math.floor(Math.fround(i * scale))));
}

test('nearest indices match torch for the sizes UNets produce (and a sweep)', () => {
  for (let n = 1; n <= 80; n++) for (const m of [2 * n - 1, 2 * n, 2 * n + 1, n + 3]) assert.deepEqual(nearestIndices(n, m), torchNearest(n, m), `${n} → ${m}`);
  assert.deepEqual(nearestIndices(3, 5), [0, 0, 1, 1, 2]);
});
