// The float16 compute path (used on GPU providers): text encoder and UNet built with dtype float16
// agree with float32 within half-precision error (run here on the CPU provider).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRuntime } from '../../sidecar/runtime/runtime';
import { SdModel } from '../../sidecar/pipeline/sd-model';

function relErr(a: Float32Array, b: Float32Array): number {
  let e = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    e = Math.max(e, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(a[i]!));
  }
  return e / s;
}

test('float16 text encoder and UNet match float32 within half precision', async () => {
  const rt = await openRuntime({ providers: ['cpu'], threads: 1 });
  const cacheDir = mkdtempSync(join(tmpdir(), 'h5-f16-'));
  const tiny = join(__dirname, '../../fixtures/tiny-sd');
  const m32 = await SdModel.open(tiny, rt, { cacheDir });
  const m16 = await SdModel.open(tiny, rt, { cacheDir, dtype: 'float16' });
  try {
    const ids = [[49406, 1125, 539, 48136, 2533, ...Array(72).fill(49407)]];
    const a = (await m32.encodeText(ids)).last_hidden_state!;
    const b = (await m16.encodeText(ids)).last_hidden_state!;
    const teErr = relErr(a, b);
    assert.ok(teErr > 0 && teErr < 1e-2, `text encoder relative error ${teErr}`);
    const sample = Float32Array.from({ length: 4 * 16 * 12 }, (_, i) => Math.sin(i));
    const u32 = (await m32.unet(sample, [500], a, { batch: 1, height: 16, width: 12 })).noise_pred!;
    const u16 = (await m16.unet(sample, [500], a, { batch: 1, height: 16, width: 12 })).noise_pred!;
    const uErr = relErr(u32, u16);
    assert.ok(uErr > 0 && uErr < 1e-2, `UNet relative error ${uErr}`);
  } finally {
    await m32.close();
    await m16.close();
    await rt.close();
  }
});
