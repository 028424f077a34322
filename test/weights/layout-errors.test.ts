// Bad inputs give precise errors that name the file (or key) and say what is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { openCheckpoint } from '../../sidecar/weights/checkpoint';
import { bindWeights } from '../../sidecar/weights/bind';
import { buildUNet } from '../../sidecar/models/unet_2d_condition';
import { readSafetensorsIndex, readTensor, writeSafetensors, type StWriteTensor } from '../../sidecar/weights/safetensors';
import { TINY, tempDir, tinyFolder, tinySingleFile, writeText } from './layout-helpers';

test('a missing path says what it expected', async () => {
  await assert.rejects(openCheckpoint('/nonexistent/model'), /\/nonexistent\/model: no such file or folder.*diffusers model folder.*single-file \.safetensors/);
});

test('a folder without model_index.json', async () => {
  const dir = tempDir('empty');
  await assert.rejects(openCheckpoint(dir), (e: Error) => e.message.includes(`${dir}: not a diffusers model folder (model_index.json is missing)`));
});

test('a model folder without unet/ names the missing folder', async () => {
  const dir = tinyFolder({ omit: ['unet'] });
  await assert.rejects(openCheckpoint(dir), (e: Error) => e.message.includes(`${join(dir, 'unet')}`) && /missing/.test(e.message));
});

test('a truncated weight file names the file', async () => {
  const dir = tinyFolder({
    replace: {
      'unet/diffusion_pytorch_model.safetensors': (dst) => {
        copyFileSync(join(TINY, 'unet/diffusion_pytorch_model.safetensors'), dst);
        truncateSync(dst, 100_000);
      },
    },
  });
  await assert.rejects(openCheckpoint(dir), (e: Error) => e.message.includes(join(dir, 'unet/diffusion_pytorch_model.safetensors')));
});

test('a mis-shaped tensor is reported by key with both shapes', async () => {
  const src = join(TINY, 'unet/diffusion_pytorch_model.safetensors');
  const dir = tinyFolder({
    replace: {
      'unet/diffusion_pytorch_model.safetensors': () => undefined,
    },
  });
  const idx = await readSafetensorsIndex(src);
  const tensors: Record<string, StWriteTensor> = {};
  for (const name of idx.tensors.keys()) {
    const t = await readTensor(idx, name);
    tensors[name] = { dtype: t.dtype, shape: name === 'conv_in.weight' ? [32, 4, 9] : t.shape, data: t.data };
  }
  await writeSafetensors(join(dir, 'unet/diffusion_pytorch_model.safetensors'), tensors);
  const ck = await openCheckpoint(dir);
  const g = buildUNet(ck.unet, { batch: 1, height: 8, width: 8 });
  assert.throws(
    () => bindWeights(g.params.map((p) => ({ name: p.name, shape: p.shape as number[] })), ck.weights.unet),
    (e: Error) => e.message.includes('conv_in.weight: checkpoint [32, 4, 9], model expects [32, 4, 3, 3]') && e.message.includes('1 mis-shaped'),
  );
});

test('missing and unexpected keys are listed by name', async () => {
  const ck = await openCheckpoint(TINY);
  const g = buildUNet(ck.unet, { batch: 1, height: 8, width: 8 });
  const specs = g.params.map((p) => ({ name: p.name, shape: p.shape as number[] }));
  const weights = { ...ck.weights.unet, tensors: new Map(ck.weights.unet.tensors) };
  weights.tensors.delete('conv_out.bias');
  weights.tensors.set('extra.weight', { ...weights.tensors.get('conv_in.bias')! });
  assert.throws(() => bindWeights(specs, weights), (e: Error) => /1 missing:\n  conv_out\.bias \[4\]/.test(e.message) && /1 unexpected:\n  extra\.weight \[32\]/.test(e.message));
});

test('SDXL and SD 2.x single-file checkpoints are recognised and refused', async () => {
  const dir = tempDir('families');
  const one = (name: string): Record<string, StWriteTensor> => ({ [name]: { dtype: 'F32', shape: [1], data: new Float32Array(1) }, 'model.diffusion_model.input_blocks.0.0.bias': { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
  await writeSafetensors(join(dir, 'xl.safetensors'), one('conditioner.embedders.0.transformer.text_model.embeddings.token_embedding.weight'));
  await writeSafetensors(join(dir, 'v2.safetensors'), one('cond_stage_model.model.token_embedding.weight'));
  await writeSafetensors(join(dir, 'other.safetensors'), { 'encoder.layer.0.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
  await assert.rejects(openCheckpoint(join(dir, 'xl.safetensors')), /xl\.safetensors: this is an SDXL checkpoint.*only Stable Diffusion 1\.x/);
  await assert.rejects(openCheckpoint(join(dir, 'v2.safetensors')), /v2\.safetensors: this is a Stable Diffusion 2\.x checkpoint.*OpenCLIP/);
  await assert.rejects(openCheckpoint(join(dir, 'other.safetensors')), /other\.safetensors: not a Stable Diffusion 1\.x checkpoint: no model\.diffusion_model\.\* keys/);
});

test('an SDXL diffusers folder is refused by its pipeline class', async () => {
  const dir = tinyFolder();
  const index = JSON.parse(readFileSync(join(dir, 'model_index.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'model_index.json'), JSON.stringify({ ...index, _class_name: 'StableDiffusionXLPipeline' }));
  await assert.rejects(openCheckpoint(dir), /model_index\.json: this is a SDXL model \(StableDiffusionXLPipeline\)/);
});

test('a .ckpt that is not a torch.save file, and a broken zip named .safetensors, say what they are', async () => {
  const dir = tempDir('pickle');
  const ckpt = writeText(join(dir, 'model.ckpt'), 'not even a pickle');
  await assert.rejects(openCheckpoint(ckpt), (e: Error) => e.message === `${ckpt}: not a PyTorch checkpoint (neither a torch.save zip nor a pickle)`);
  const disguised = join(dir, 'zip.safetensors');
  writeFileSync(disguised, Buffer.from('PK\x03\x04rest of a torch.save zip', 'latin1'));
  await assert.rejects(openCheckpoint(disguised), /zip\.safetensors: no zip end-of-central-directory record/);
  const other = writeText(join(dir, 'model.onnx'), 'x');
  await assert.rejects(openCheckpoint(other), /model\.onnx: not a checkpoint file \(\.safetensors, \.ckpt, \.pt, \.pth, \.bin\)/);
});

test('a single-file checkpoint with an unknown key under a model prefix is refused by name', async () => {
  const file = await tinySingleFile('F32', { 'model.diffusion_model.input_blocks.99.0.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
  await assert.rejects(openCheckpoint(file, { configsFrom: TINY }), /1 key\(s\) do not belong to an SD 1\.x model.*model\.diffusion_model\.input_blocks\.99\.0\.weight/);
});

test('a diffusers VAE saved with the legacy attention names (query/key/value/proj_attn) loads under the current names', async () => {
  const src = join(TINY, 'vae/diffusion_pytorch_model.safetensors');
  const dir = tinyFolder({ replace: { 'vae/diffusion_pytorch_model.safetensors': () => undefined } });
  const idx = await readSafetensorsIndex(src);
  const legacy: Record<string, string> = { to_q: 'query', to_k: 'key', to_v: 'value', 'to_out.0': 'proj_attn' };
  const tensors: Record<string, StWriteTensor> = {};
  for (const name of idx.tensors.keys()) {
    const t = await readTensor(idx, name);
    const renamed = name.replace(/(mid_block\.attentions\.0\.)(to_q|to_k|to_v|to_out\.0)\./, (_m, p: string, n: string) => `${p}${legacy[n]}.`);
    tensors[renamed] = { dtype: t.dtype, shape: t.shape, data: t.data };
  }
  assert.ok(Object.keys(tensors).includes('decoder.mid_block.attentions.0.proj_attn.weight'));
  await writeSafetensors(join(dir, 'vae/diffusion_pytorch_model.safetensors'), tensors);
  const [legacyCk, current] = [await openCheckpoint(dir), await openCheckpoint(TINY)];
  assert.deepEqual([...legacyCk.weights.vae.tensors.keys()].sort(), [...current.weights.vae.tensors.keys()].sort());
  assert.equal(legacyCk.weights.vae.tensors.get('decoder.mid_block.attentions.0.to_out.0.weight')!.sourceKey, 'decoder.mid_block.attentions.0.proj_attn.weight');
});
