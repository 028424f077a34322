// A single-file checkpoint in the original layout (written here from the tiny model through the key
// table) loads to the same networks as the diffusers folder: bit-identical outputs with F32 weights,
// and outputs within half-precision rounding with F16 and BF16 weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { SdModel } from '../../sidecar/pipeline/sd-model';
import { openCheckpoint } from '../../sidecar/weights/checkpoint';
import { readSafetensorsIndex, readTensorF32 } from '../../sidecar/weights/safetensors';
import { join } from 'node:path';
import { TINY, tempDir, tinySingleFile } from './layout-helpers';

let rt: Runtime;
let reference: SdModel;
const cacheDir = tempDir('cache');
const cases = join(TINY, 'cases');

before(async () => {
  rt = await openRuntime({ providers: ['cpu'], threads: 1 });
  reference = await SdModel.open(TINY, rt, { cacheDir });
});
after(async () => {
  await reference.close();
  await rt.close();
});

async function outputs(model: SdModel): Promise<Record<string, Float32Array>> {
  const te = await readSafetensorsIndex(join(cases, 'text_encoder.safetensors'));
  const ids = (await readTensorF32(te, 'input_ids')).data;
  const rows = [Array.from(ids.subarray(0, 77)), Array.from(ids.subarray(77, 154))];
  const text = (await model.encodeText(rows)).last_hidden_state!;
  const u = await readSafetensorsIndex(join(cases, 'unet.safetensors'));
  const sample = (await readTensorF32(u, 'sample')).data;
  const context = (await readTensorF32(u, 'encoder_hidden_states')).data;
  const unet = (await model.unet(sample, [500, 500], context, { batch: 2, height: 32, width: 32 })).noise_pred!;
  const v = await readSafetensorsIndex(join(cases, 'vae.safetensors'));
  const vae = await model.vaeDecode((await readTensorF32(v, 'decode.input')).data, { batch: 2, height: 32, width: 32 });
  return { text, unet, vae };
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let m = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return m / scale;
}

test('the single-file layout maps every tensor to the same diffusers name, shape and bytes', async () => {
  const folder = await openCheckpoint(TINY);
  const single = await openCheckpoint(await tinySingleFile('F32'), { configsFrom: TINY });
  assert.equal(single.layout, 'single-file');
  for (const c of ['unet', 'vae', 'text_encoder'] as const) {
    const want = [...folder.weights[c].tensors.keys()].filter((k) => !k.endsWith('position_ids')).sort();
    assert.deepEqual([...single.weights[c].tensors.keys()].sort(), want, c);
    for (const k of want) {
      assert.deepEqual(single.weights[c].tensors.get(k)!.shape, folder.weights[c].tensors.get(k)!.shape, k);
      assert.equal(single.weights[c].tensors.get(k)!.length, folder.weights[c].tensors.get(k)!.length, k);
    }
  }
});

test('F32 single file: text encoder, UNet and VAE outputs identical to the diffusers folder', async () => {
  const model = await SdModel.open(await tinySingleFile('F32'), rt, { cacheDir, configsFrom: TINY });
  try {
    const [got, want] = [await outputs(model), await outputs(reference)];
    for (const k of Object.keys(want)) assert.equal(maxRel(got[k]!, want[k]!), 0, k);
  } finally {
    await model.close();
  }
});

for (const [dtype, bound] of [
  ['F16', 2e-3],
  ['BF16', 2e-2],
] as const) {
  test(`${dtype} weights load and compute in float32 (outputs within ${dtype} rounding)`, async () => {
    const model = await SdModel.open(await tinySingleFile(dtype), rt, { cacheDir, configsFrom: TINY });
    try {
      assert.equal(model.checkpoint.weights.unet.tensors.get('conv_in.weight')!.dtype, dtype);
      const [got, want] = [await outputs(model), await outputs(reference)];
      for (const k of Object.keys(want)) {
        const r = maxRel(got[k]!, want[k]!);
        assert.ok(r > 0 && r < bound, `${k}: relative error ${r} (expected 0 < r < ${bound})`);
      }
    } finally {
      await model.close();
    }
  });
}
