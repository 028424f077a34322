// `dreambooth export` on the tiny model: the merged checkpoint and the diffusers folder hold the base
// weights with the LoRA merged (checked against a float64 merge written here) and reload through our
// own loaders; generating from either gives the same image as base + --lora; full-weights runs; --half;
// the LoRA format. Bad input: no trained weights, an existing or unwritable output, LoRAs of another
// architecture, a cancel — each a clear error, and nothing half-written left behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { after, before, test } from 'node:test';
import { JobCancelled } from '../../sidecar/context/job-context';
import { exportRun } from '../../sidecar/jobs/export';
import { generate } from '../../sidecar/jobs/generate';
import { main } from '../../sidecar/cli/export';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { openCheckpoint } from '../../sidecar/weights/checkpoint';
import { f16ArrayToF32, f32ArrayToF16, readSafetensorsIndex, readTensorF32, type StWriteTensor, writeSafetensors } from '../../sidecar/weights/safetensors';
import { kohyaTargets } from '../../sidecar/weights/sd1-keymap';
import { recordingContext } from '../helpers/example-project';
import { type F32Tensor, TINY, allWeights, maxDiff, projectWith, testLora, wave } from './helpers';
import type { ExportParams } from '../../protocol/sidecar';

const root = mkdtempSync(join(tmpdir(), 'dreambooth-export-'));
const cacheDir = join(root, 'onnx-cache');
let runtime: Runtime;
let lora: Record<string, F32Tensor>;
let base: Map<string, Float32Array>;

before(async () => {
  runtime = await openRuntime({ providers: ['cpu'] });
  lora = await testLora();
  base = await allWeights(await openCheckpoint(TINY));
});
after(async () => {
  await runtime.close();
  await rm(root, { recursive: true, force: true });
});

const run = (conceptFile: string, p: Partial<ExportParams> = {}) => exportRun({ conceptFile, format: 'checkpoint', half: false, force: false, ...p }, recordingContext().ctx);

/** base + up·down·alpha/rank for every LoRA module, in float64, by component:key. */
async function mergedByHand(): Promise<Map<string, Float32Array>> {
  const ck = await openCheckpoint(TINY);
  const want = new Map(base);
  for (const c of ['unet', 'text_encoder'] as const) {
    for (const [kohya, key] of kohyaTargets(c, ck.weights[c].tensors.keys())) {
      const down = lora[`${kohya}.lora_down.weight`];
      if (!down) continue;
      const d = down.data;
      const u = lora[`${kohya}.lora_up.weight`]!.data;
      const w = base.get(`${c}:${key}`)!;
      const [, cols] = down.shape as [number, number];
      const rows = w.length / cols;
      const out = new Float32Array(w.length);
      for (let o = 0; o < rows; o++)
        for (let i = 0; i < cols; i++) out[o * cols + i] = w[o * cols + i]! + 0.5 * (u[o * 2]! * d[i]! + u[o * 2 + 1]! * d[cols + i]!);
      want.set(`${c}:${key}`, out);
    }
  }
  return want;
}

function assertWeights(got: Map<string, Float32Array>, want: Map<string, Float32Array>, tol: number, what: string) {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: the same weights`);
  let worst = 0;
  let at = '';
  for (const [k, w] of want) {
    const d = maxDiff(got.get(k)!, w);
    if (d > worst) [worst, at] = [d, k];
  }
  assert.ok(worst <= tol, `${what}: ${at} differs by ${worst}`);
}

async function image(model: string, extra: { lora?: string; configsFrom?: string } = {}) {
  const outDir = mkdtempSync(join(root, 'img-'));
  let latents: Float32Array | undefined;
  const [png] = await generate(
    { model, prompt: 'photo of zwx person', negativePrompt: 'blurry', count: 1, steps: 3, guidance: 7.5, sampler: 'ddim', seed: 7, width: 64, height: 64, outDir, lora: extra.lora },
    recordingContext().ctx,
    { runtime, cacheDir, configsFrom: extra.configsFrom, onLatents: async (_i, l) => void (latents = l.slice()) },
  );
  return { latents: latents!, pixels: (await sharp(png!).raw().toBuffer()) as Uint8Array };
}

test('checkpoint and diffusers exports reload with the LoRA merged, and draw the image base + --lora draws', async () => {
  const p = await projectWith(root, 'roundtrip', lora);
  const [ckpt] = (await run(p.file)).files;
  assert.equal(ckpt, join(p.exports, 'zwx-checkpoint.safetensors'));
  const [folder] = (await run(p.file, { format: 'diffusers' })).files;
  assert.equal(folder, join(p.exports, 'zwx-diffusers'));
  assert.deepEqual(readdirSync(p.exports).sort(), ['zwx-checkpoint.safetensors', 'zwx-diffusers', 'zwx.safetensors'], 'no temporary files left');

  // The checkpoint in the original layout, through our single-file loader (the tiny model's configs).
  const want = await mergedByHand();
  const single = await openCheckpoint(ckpt, { configsFrom: TINY });
  assert.equal(single.layout, 'single-file');
  assertWeights(await allWeights(single), want, 1e-6, 'checkpoint');
  const index = await readSafetensorsIndex(ckpt);
  assert.deepEqual(index.tensors.get('first_stage_model.decoder.mid.attn_1.q.weight')!.shape, [64, 64, 1, 1]);
  assert.ok(index.tensors.has('cond_stage_model.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight'));
  assert.ok([...index.tensors.keys()].every((k) => /^(model\.diffusion_model|first_stage_model|cond_stage_model\.transformer)\./.test(k)));
  assert.ok([...index.tensors.values()].every((t) => t.dtype === 'F32'));
  assertWeights(await allWeights(await openCheckpoint(folder)), want, 1e-6, 'diffusers folder');
  for (const f of ['model_index.json', 'unet/config.json', 'vae/config.json', 'text_encoder/config.json', 'scheduler/scheduler_config.json', 'tokenizer/vocab.json', 'tokenizer/merges.txt'])
    assert.ok(existsSync(join(folder, f)), f);

  const withLora = await image(TINY, { lora: p.trained });
  const plain = await image(TINY);
  assert.ok(maxDiff(withLora.latents, plain.latents) > 1e-2, 'the LoRA changes the image (else this test proves nothing)');
  // The tiny model is not SD 1.x's size: the checkpoint carries its configs in its metadata, so it opens
  // as itself without --configs-from (a file without them would be read with SD 1.5's and refused).
  const reopened = await openCheckpoint(ckpt);
  assert.deepEqual([reopened.unet, reopened.vae, reopened.textEncoder, reopened.scheduler], [single.unet, single.vae, single.textEncoder, single.scheduler]);
  for (const [what, got] of [['checkpoint', await image(ckpt)], ['diffusers', await image(folder)]] as const) {
    assert.ok(maxDiff(got.latents, withLora.latents) < 1e-5, `${what}: latents differ by ${maxDiff(got.latents, withLora.latents)}`);
    assert.ok(maxDiff(got.pixels, withLora.pixels) <= 1, `${what}: pixels differ by ${maxDiff(got.pixels, withLora.pixels)}`);
  }
});

test('--half writes float16 of the merged weights; the lora format copies the LoRA (float16 with --half)', async () => {
  const p = await projectWith(root, 'half', lora);
  const [ckpt] = (await run(p.file, { half: true })).files;
  assert.equal(ckpt, join(p.exports, 'zwx-checkpoint-fp16.safetensors'));
  const index = await readSafetensorsIndex(ckpt);
  assert.ok([...index.tensors.values()].every((t) => t.dtype === 'F16'));
  const want = new Map([...(await mergedByHand())].map(([k, v]) => [k, f16ArrayToF32(f32ArrayToF16(v))]));
  const got = await allWeights(await openCheckpoint(ckpt, { configsFrom: TINY }));
  assertWeights(got, want, 1e-3, 'checkpoint --half'); // a merged weight may round to the neighbouring half (float32 merge vs float64 here)
  assert.equal(maxDiff(got.get('unet:conv_in.weight')!, want.get('unet:conv_in.weight')!), 0, 'an unmerged weight rounds exactly');

  const [file] = (await run(p.file, { format: 'lora', half: true })).files;
  assert.equal(file, join(p.exports, 'zwx-lora-fp16.safetensors'));
  const out = await readSafetensorsIndex(file);
  assert.deepEqual([...out.tensors.keys()].sort(), Object.keys(lora).sort());
  assert.ok(Object.keys(lora).some((k) => k.startsWith('lora_te_')) && [...out.tensors.values()].every((t) => t.dtype === 'F16'));
  for (const [k, t] of Object.entries(lora)) assert.equal(maxDiff((await readTensorF32(out, k)).data, f16ArrayToF32(f32ArrayToF16(t.data))), 0, k);
});

test('a checkpoint whose stored configs are damaged is refused with a way out, not read with guessed ones', async () => {
  const file = join(root, 'damaged-configs.safetensors');
  const tensor = { 'model.diffusion_model.conv_in.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) } } satisfies Record<string, StWriteTensor>;
  await writeSafetensors(file, tensor, { dreambooth_configs: '{"unet": {' });
  await assert.rejects(openCheckpoint(file), /"dreambooth_configs" metadata is not JSON .*pass --configs-from/);
  await writeSafetensors(file, tensor, { dreambooth_configs: '{"unet": {}}' });
  await assert.rejects(openCheckpoint(file), /lacks the unet, vae, text_encoder or scheduler config/);
});

test('a full-weights run: its tensors replace the base ones; it has no LoRA to export', async () => {
  const replaced = {
    'unet.conv_in.weight': { dtype: 'F32', shape: [32, 4, 3, 3], data: wave(32 * 4 * 9, 1, 0.2) },
    'unet.down_blocks.0.attentions.0.proj_in.weight': { dtype: 'F16', shape: [32, 32, 1, 1], data: f32ArrayToF16(wave(32 * 32, 2, 0.1)) },
    'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.weight': { dtype: 'F32', shape: [32, 32], data: wave(32 * 32, 3, 0.1) },
  } satisfies Record<string, StWriteTensor>;
  const p = await projectWith(root, 'full', replaced, { metadata: { dreambooth_method: 'full' } });
  const want = new Map(base);
  for (const [k, t] of Object.entries(replaced)) want.set(k.replace('.', ':'), t.dtype === 'F16' ? f16ArrayToF32(t.data as Uint16Array) : (t.data as Float32Array));
  const [ckpt] = (await run(p.file)).files;
  assertWeights(await allWeights(await openCheckpoint(ckpt!, { configsFrom: TINY })), want, 0, 'checkpoint of a full run');
  const [folder] = (await run(p.file, { format: 'diffusers' })).files;
  assertWeights(await allWeights(await openCheckpoint(folder!)), want, 0, 'diffusers folder of a full run');
  await assert.rejects(run(p.file, { format: 'lora' }), /method full\): it has no LoRA to export; export a checkpoint or a diffusers folder/);

  const bad = await projectWith(root, 'full-bad', { 'unet.conv_in.weight': { dtype: 'F32', shape: [8, 4, 3, 3], data: new Float32Array(288) }, 'unet.nope.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) } }, { metadata: { dreambooth_method: 'full' } });
  await assert.rejects(run(bad.file), /2 trained tensor\(s\) do not fit the base model.*\n.*unet\.conv_in\.weight: trained \[8, 4, 3, 3\], base \[32, 4, 3, 3\]\n.*unet\.nope\.weight \[1\]: no such weight/);
});

test('no trained weights: train first; an unfinished run exports its last checkpoint', async () => {
  const p = await projectWith(root, 'untrained', lora);
  await rm(p.trained);
  await assert.rejects(run(p.file), /the run has no trained weights yet \(no .*zwx\.safetensors or .*zwx-step-NNNNNN\.safetensors\); train first/);
  const u = await projectWith(root, 'unfinished', lora, { unfinished: true });
  const rec = recordingContext();
  const { files } = await exportRun({ conceptFile: u.file, format: 'lora', half: false, force: false }, rec.ctx);
  assert.ok(existsSync(files[0]!));
  assert.ok(rec.logs.some((l) => /has not finished: exporting its last checkpoint/.test(l)));
});

test('an existing output is refused unless forced; an unwritable one is refused; nothing is left behind', async () => {
  const p = await projectWith(root, 'existing', lora);
  const target = join(p.exports, 'mine.safetensors');
  writeFileSync(target, 'keep me');
  await assert.rejects(run(p.file, { out: target }), /mine\.safetensors already exists; choose another output \(--out\) or replace it \(--force\)/);
  assert.equal(statSync(target).size, 7);
  await run(p.file, { out: target, force: true });
  assert.ok((await readSafetensorsIndex(target)).tensors.size > 500);
  const folder = join(p.exports, 'dir');
  await run(p.file, { format: 'diffusers', out: folder });
  await assert.rejects(run(p.file, { format: 'diffusers', out: folder }), /dir already exists/);
  await run(p.file, { format: 'diffusers', out: folder, force: true });
  assert.ok(existsSync(join(folder, 'unet/diffusion_pytorch_model.safetensors')));
  await assert.rejects(run(p.file, { out: folder, force: true }), /is a folder; give a file name/);
  // A path under a file cannot be created (also as root, where permissions would not stop us).
  await assert.rejects(run(p.file, { out: join(target, 'x.safetensors') }), /cannot create the folder .*mine\.safetensors \(ENOTDIR|EEXIST\); choose another output/);
  assert.deepEqual(readdirSync(p.exports).sort(), ['dir', 'mine.safetensors', 'zwx.safetensors']);
});

test('a cancel mid-export leaves nothing', async () => {
  const p = await projectWith(root, 'cancel', lora);
  const rec = recordingContext((e) => e.phase === 'exporting' && e.step > 100);
  await assert.rejects(exportRun({ conceptFile: p.file, format: 'checkpoint', half: false, force: false }, rec.ctx), JobCancelled);
  assert.deepEqual(readdirSync(p.exports), ['zwx.safetensors']);
});

test('LoRAs of another architecture are refused by name, and nothing is written', async () => {
  const sdxl = await projectWith(root, 'sdxl', {
    'lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight': { dtype: 'F32', shape: [1, 32], data: new Float32Array(32) },
    'lora_te1_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight': { dtype: 'F32', shape: [32, 1], data: new Float32Array(32) },
  });
  await assert.rejects(run(sdxl.file), /an SDXL LoRA \(it has lora_te1_\/lora_te2_ modules/);
  const other = await projectWith(root, 'other', {
    'lora_unet_input_blocks_4_1_proj_in.lora_down.weight': { dtype: 'F32', shape: [1, 32], data: new Float32Array(32) },
    'lora_unet_input_blocks_4_1_proj_in.lora_up.weight': { dtype: 'F32', shape: [32, 1], data: new Float32Array(32) },
  });
  await assert.rejects(run(other.file, { format: 'lora' }), /1 LoRA module\(s\) match no unet weight of this model: lora_unet_input_blocks_4_1_proj_in/);
  assert.deepEqual(readdirSync(other.exports), ['zwx.safetensors']);
});

test('dreambooth export: the path on stdout; a bad --format is a usage error', async () => {
  const p = await projectWith(root, 'cli', lora);
  const write = [process.stdout.write, process.stderr.write] as const;
  let out = '';
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write; // progress
  try {
    assert.equal(await main([p.file, '--format', 'diffusers', '--half']), 0);
  } finally {
    [process.stdout.write, process.stderr.write] = write;
  }
  assert.equal(out, `${join(p.exports, 'zwx-diffusers-fp16')}\n`);
  await assert.rejects(main([p.file, '--format', 'ckpt']), /--format must be one of lora, checkpoint, diffusers, got "ckpt"/);
});

