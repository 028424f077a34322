// `dreambooth generate` end to end on the tiny random-weight model: with the reference's initial latents,
// prompts, DDIM and guidance it reproduces diffusers' final latents and image; PNGs carry their
// AUTOMATIC1111 parameters; concept files work; cancellation stops between steps; no model given means
// the bundled world model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { main } from '../../sidecar/cli/generate';
import { generate } from '../../sidecar/jobs/generate';
import { JobCancelled, type JobContext } from '../../sidecar/context/job-context';
import { parseParameters } from '../../sidecar/images/infotext';
import { readSafetensorsIndex, readTensorF32, writeSafetensors } from '../../sidecar/weights/safetensors';
import { extractText } from './png-text';

const ROOT = join(__dirname, '../..');
const CASE = join(ROOT, 'fixtures/tiny-sd/cases/pipeline.safetensors');
const temp = (tag: string) => mkdtempSync(join(tmpdir(), `h5-gen-${tag}-`));

async function ref(name: string): Promise<Float32Array> {
  return (await readTensorF32(await readSafetensorsIndex(CASE), name)).data;
}

test('generate --latents reproduces the diffusers pipeline (DDIM, CFG 7.5) and writes a PNG with parameters', async () => {
  const dir = temp('ref');
  const latentsIn = join(dir, 'init.safetensors');
  const latentsOut = join(dir, 'final.safetensors');
  await writeSafetensors(latentsIn, { latents: { dtype: 'F32', shape: [1, 4, 32, 32], data: await ref('latents_init') } });
  const out = join(dir, 'images');
  const code = await main(['--model', join(ROOT, 'fixtures/tiny-sd'), '--prompt', 'photo of sks person', '--negative-prompt', 'blurry, low quality', '--steps', '8', '--sampler', 'ddim', '--guidance', '7.5',
    '--width', '64', '--height', '64', '--latents', latentsIn, '--save-latents', latentsOut, '--out', out, '--provider', 'cpu']);
  assert.equal(code, 0);

  // Tolerance: 20x the case's float32-vs-float64 hint (see test/conformance/cases/compare.ts).
  const final = (await readTensorF32(await readSafetensorsIndex(latentsOut), 'latents')).data;
  const want = await ref('latents_final');
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(final[i]! - want[i]!));
  assert.ok(err < 20 * 6.825688513822925e-5, `final latents differ by ${err}`);

  const files = readdirSync(out);
  assert.deepEqual(files, ['00000-42.png']);
  const png = join(out, files[0]!);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [64, 64, 3]);
  const image = await ref('image'); // [1, 64, 64, 3] in [0, 1]
  let px = 0;
  for (let i = 0; i < image.length; i++) px = Math.max(px, Math.abs(data[i]! - Math.round(image[i]! * 255)));
  assert.ok(px <= 1, `pixels differ by ${px}/255`);

  const params = parseParameters(extractText(await readFile(png), 'parameters')!);
  assert.equal(params.prompt, 'photo of sks person');
  assert.equal(params.negativePrompt, 'blurry, low quality');
  assert.deepEqual(
    { steps: params.params.Steps, sampler: params.params.Sampler, cfg: params.params['CFG scale'], seed: params.params.Seed, size: params.params.Size },
    { steps: '8', sampler: 'DDIM', cfg: '7.5', seed: '42', size: '64x64' },
  );
});

test('a concept file generate block: count images with seeds seed, seed+1, non-square size', async () => {
  const out = temp('concept');
  const code = await main([join(ROOT, 'examples/zwx/zwx.dreambooth'), '--name', 'portrait', '--out', out, '--provider', 'cpu']);
  assert.equal(code, 0);
  assert.deepEqual(readdirSync(out).sort(), ['00000-1234.png', '00001-1235.png']);
  const meta = await sharp(join(out, '00001-1235.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [64, 64]);
});

test('non-square images, progress per step, and cancellation between steps', async () => {
  const out = temp('cancel');
  const seen: number[] = [];
  const abort = new AbortController();
  const ctx: JobContext = {
    signal: abort.signal,
    log: () => undefined,
    progress: (p) => {
      if (p.phase === 'denoising' && p.message) {
        seen.push(p.step);
        if (p.step === 3) abort.abort();
      }
    },
  };
  const params = { model: '', prompt: 'x', negativePrompt: '', count: 2, steps: 4, guidance: 5, sampler: 'euler_a' as const, seed: 1, width: 48, height: 32, outDir: out };
  await assert.rejects(generate(params, ctx, { providers: ['cpu'] }), JobCancelled);
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(readdirSync(out), []);

  const done: string[] = await generate({ ...params, count: 1, steps: 2 }, { signal: new AbortController().signal, log: () => undefined, progress: () => undefined }, { providers: ['cpu'] });
  const meta = await sharp(done[0]!).metadata();
  assert.deepEqual([meta.width, meta.height], [48, 32]);
});

test('bad parameters are refused with the value', async () => {
  const ctx: JobContext = { signal: new AbortController().signal, log: () => undefined, progress: () => undefined };
  const base = { model: '', prompt: 'x', negativePrompt: '', count: 1, steps: 2, guidance: 7, sampler: 'ddim' as const, seed: 1, width: 64, height: 64, outDir: temp('bad') };
  await assert.rejects(generate({ ...base, width: 60 }, ctx), /width must be a multiple of 8 .* got 60/);
  await assert.rejects(generate({ ...base, steps: 0 }, ctx), /steps must be an integer in 1\.\.1000, got 0/);
  await assert.rejects(generate({ ...base, loraScale: Number.NaN }, ctx), /loraScale must be a number, got NaN/);
  await assert.rejects(generate({ ...base, model: '/nope/model' }, ctx, { providers: ['cpu'] }), /\/nope\/model: no such file or folder/);
});

test('a concept file uses what its training left (the LoRA, or a full run\'s merged checkpoint), unless --no-lora', async () => {
  const dir = temp('trained');
  const example = readFileSync(join(ROOT, 'examples/zwx/zwx.dreambooth'), 'utf8')
    .replace('"../../fixtures/tiny-sd"', JSON.stringify(join(ROOT, 'fixtures/tiny-sd')))
    .replace('"./photos"', JSON.stringify(join(ROOT, 'examples/zwx/photos')));
  writeFileSync(join(dir, 'zwx.dreambooth'), example);
  mkdirSync(join(dir, 'runs/exports'), { recursive: true });
  copyFileSync(join(ROOT, 'fixtures/tiny-sd/cases/lora_init_kohya.safetensors'), join(dir, 'runs/exports/zwx.safetensors'));
  const params = async (png: string) => parseParameters(extractText(await readFile(png), 'parameters')!).params;
  assert.equal(await main([join(dir, 'zwx.dreambooth'), '--name', 'portrait', '--out', join(dir, 'a'), '--provider', 'cpu']), 0);
  assert.equal((await params(join(dir, 'a/00000-1234.png'))).Lora, 'zwx:1');
  assert.equal(await main([join(dir, 'zwx.dreambooth'), '--name', 'portrait', '--out', join(dir, 'b'), '--provider', 'cpu', '--no-lora']), 0);
  assert.equal((await params(join(dir, 'b/00000-1234.png'))).Lora, undefined);
  // The weight travels in the request (the gallery's LoRA weight, the CLI's --lora-scale) into the PNG;
  // the model is named as the user named it.
  assert.equal(await main([join(dir, 'zwx.dreambooth'), '--name', 'portrait', '--out', join(dir, 'c'), '--provider', 'cpu', '--lora-scale', '0.5']), 0);
  assert.deepEqual([(await params(join(dir, 'c/00000-1234.png'))).Lora, (await params(join(dir, 'c/00000-1234.png'))).Model], ['zwx:0.5', 'tiny-sd']);
  // A full run leaves a merged checkpoint (its configs in its metadata) instead: it becomes the model.
  const { tinySingleFile, TINY } = await import('../weights/layout-helpers');
  const { readConfigsFolder } = await import('../../sidecar/weights/stored-configs');
  rmSync(join(dir, 'runs/exports/zwx.safetensors'));
  copyFileSync(await tinySingleFile('F32', {}, { dreambooth_configs: JSON.stringify(await readConfigsFolder(TINY)) }), join(dir, 'runs/exports/zwx-checkpoint.safetensors'));
  assert.equal(await main([join(dir, 'zwx.dreambooth'), '--name', 'portrait', '--out', join(dir, 'd'), '--provider', 'cpu']), 0);
  assert.deepEqual([(await params(join(dir, 'd/00000-1234.png'))).Lora, (await params(join(dir, 'd/00000-1234.png'))).Model], [undefined, 'zwx-checkpoint']);
  assert.equal(await main([join(dir, 'zwx.dreambooth'), '--name', 'portrait', '--out', join(dir, 'e'), '--provider', 'cpu', '--no-lora']), 0);
  assert.equal((await params(join(dir, 'e/00000-1234.png'))).Model, 'tiny-sd');
});

test('generate from a single-file checkpoint (original layout) with --configs-from', async () => {
  const { tinySingleFile, TINY } = await import('../weights/layout-helpers');
  const file = await tinySingleFile('F16');
  const out = temp('single');
  assert.equal(await main(['--model', file, '--configs-from', TINY, '--prompt', 'x', '--steps', '2', '--width', '64', '--height', '32', '--out', out, '--provider', 'cpu']), 0);
  const png = join(out, '00000-42.png');
  assert.equal(parseParameters(extractText(await readFile(png), 'parameters')!).params.Model, 'tiny-F16');
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.width, meta.height], [64, 32]);
});
