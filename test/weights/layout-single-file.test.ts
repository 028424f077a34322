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
import { statSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TINY, tempDir, tinyCkpt, tinyFolder, tinySingleFile } from './layout-helpers';
import { stateDictPickle, torchZip, writeBytes, type HandTensor } from './torch-writer';

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

test('a .ckpt (torch.save zip) loads like the .safetensors: outputs identical, weights staged as hard links of the .ckpt itself', async () => {
  const ckpt = await tinyCkpt('F32');
  const model = await SdModel.open(ckpt, rt, { cacheDir, configsFrom: TINY });
  try {
    assert.equal(model.checkpoint.weights.unet.tensors.get('conv_in.weight')!.file, ckpt);
    const [got, want] = [await outputs(model), await outputs(reference)];
    for (const k of Object.keys(want)) assert.equal(maxRel(got[k]!, want[k]!), 0, k);
  } finally {
    await model.close();
  }
  const ino = statSync(ckpt).ino;
  const staged = readdirSync(cacheDir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && d.name.endsWith('.ckpt'));
  assert.ok(staged.length > 0 && staged.every((d) => statSync(join(d.parentPath, d.name)).ino === ino), 'ONNX external data points into a hard link of the .ckpt (no copy)');
});

test('a diffusers folder whose UNet has only diffusion_pytorch_model.bin reads it (same tensors as the safetensors)', async () => {
  const folder = await openCheckpoint(TINY);
  const hand: HandTensor[] = [];
  const storages: Record<string, Uint8Array> = {};
  for (const [name, ref] of folder.weights.unet.tensors) {
    const idx = await readSafetensorsIndex(ref.file);
    const t = await readTensorF32(idx, ref.sourceKey);
    storages[String(hand.length)] = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    hand.push({ name, storage: String(hand.length), dtype: 'Float', numel: t.data.length, shape: t.shape });
  }
  const dir = tinyFolder({ replace: { 'unet/diffusion_pytorch_model.safetensors': (dst) => writeBytes(join(dirname(dst), 'diffusion_pytorch_model.bin'), torchZip(stateDictPickle(hand, { topLevel: true }), storages)) } });
  const withBin = await openCheckpoint(dir);
  assert.match(withBin.weights.unet.source, /unet\/diffusion_pytorch_model\.bin$/);
  assert.deepEqual([...withBin.weights.unet.tensors.keys()].sort(), [...folder.weights.unet.tensors.keys()].sort());
  for (const [k, t] of folder.weights.unet.tensors) assert.deepEqual([withBin.weights.unet.tensors.get(k)!.shape, withBin.weights.unet.tensors.get(k)!.length], [t.shape, t.length], k);
});
