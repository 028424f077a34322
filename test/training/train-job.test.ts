// The DreamBooth LoRA training job end to end on the bundled tiny model and examples/zwx (copied to
// a temp folder): class images topped up, an unreadable photo skipped, finite losses with progress,
// cancellation that saves a checkpoint, --resume that continues from it and ends exactly where an
// uninterrupted run ends, and a kohya LoRA that generate loads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { JobCancelled } from '../../sidecar/context/job-context';
import { copyExample, recordingContext } from '../helpers/example-project';
import { train } from '../../sidecar/jobs/train';
import { generate } from '../../sidecar/jobs/generate';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { listImages } from '../../sidecar/training/images';
import { readTextChunks } from '../../sidecar/images/png-chunks';
import { parsePythonJson } from '../conformance/cases/context';
import { readSafetensorsIndex, readTensor, readTensorF32, writeSafetensors } from '../../sidecar/weights/safetensors';
import { readTrainLog } from '../../sidecar/training/log';
import { TrainMemoryError } from '../../sidecar/training/memory-plan';

const cacheDir = join(tmpdir(), 'dreambooth-test-onnx');
const root = mkdtempSync(join(tmpdir(), 'dreambooth-train-'));
let runtime: Runtime;

before(async () => {
  runtime = await openRuntime({ providers: ['cpu'] });
});
after(async () => {
  await runtime.close();
  await rm(root, { recursive: true, force: true });
});

const project = async (name: string) => (await copyExample(root, name, { saveEvery: 2 })).file;

function recorder(cancelAfterStep?: number) {
  const r = recordingContext((p) => cancelAfterStep !== undefined && p.phase === 'training' && p.loss !== undefined && p.step >= cancelAfterStep);
  return { ...r, losses: () => r.events.filter((e) => e.phase === 'training' && e.loss !== undefined) };
}

async function loraTensors(path: string): Promise<Map<string, Float32Array>> {
  const idx = await readSafetensorsIndex(path);
  const out = new Map<string, Float32Array>();
  for (const k of idx.tensors.keys()) out.set(k, (await readTensorF32(idx, k)).data);
  return out;
}

const extras = () => ({ runtime, cacheDir, sampleSteps: 2 });

test('train: cancel saves a checkpoint, --resume continues and matches an uninterrupted run; the LoRA loads in generate', async () => {
  // Interrupted run: cancelled after step 1.
  const fileA = await project('a');
  const a = recorder(1);
  await assert.rejects(train({ conceptFile: fileA, resume: false }, a.ctx, { ...extras(), steps: 3 }), JobCancelled);
  assert.ok(a.logs.some((m) => m.includes('broken.jpg')), `the unreadable photo is reported: ${a.logs.join(' | ')}`);
  assert.equal((await listImages(join(root, 'a', 'runs', 'class', 'zwx'))).length, 2, 'class folder topped up to num_class_images');
  const last = join(root, 'a', 'runs', 'checkpoints', 'zwx.resume.safetensors');
  assert.equal((await readSafetensorsIndex(last)).metadata.dreambooth_step, '1');

  // Resumed: steps 2 and 3 only.
  const r = recorder();
  const out = await train({ conceptFile: fileA, resume: true }, r.ctx, { ...extras(), steps: 3 });
  assert.deepEqual(r.losses().map((e) => e.step), [2, 3]);
  for (const e of [...a.losses(), ...r.losses()]) {
    assert.ok(Number.isFinite(e.loss) && e.loss! > 0, `loss ${e.loss}`);
    assert.equal(e.total, 3);
    assert.ok(typeof e.etaSeconds === 'number' && e.etaSeconds >= 0);
  }
  const final = out.files.find((f) => f.endsWith(join('exports', 'zwx.safetensors')))!;
  assert.ok(final, `final LoRA among ${out.files.join(', ')}`);
  assert.ok(out.files.some((f) => f.endsWith('zwx-step-000002.safetensors')), 'save_every checkpoint');
  assert.ok(out.images.length >= 2, 'sample images at the save and at the end');

  // kohya layout: 48 modules × (down, up, alpha); training moved lora_up away from its zero init.
  const lora = await loraTensors(final);
  assert.equal(lora.size, 48 * 3);
  const ups = [...lora].filter(([k]) => k.startsWith('lora_unet_') && k.endsWith('.lora_up.weight'));
  assert.equal(ups.length, 48);
  assert.ok(ups.some(([, v]) => v.some((x) => x !== 0)), 'lora_up trained');
  assert.equal(lora.get('lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_q.alpha')?.[0], 4);
  // The same kohya key names as the reference (diffusers' convert_state_dict_to_kohya) for this UNet.
  const index = parsePythonJson(await readFile('fixtures/tiny-sd/index.json', 'utf8')) as { cases: { kind: string; lora_keys?: string[] }[] };
  const refKeys = index.cases.find((c) => c.kind === 'lora_train')!.lora_keys!;
  assert.deepEqual([...lora.keys()].filter((k) => !k.endsWith('.alpha')).sort(), [...refKeys].sort());

  // Uninterrupted run to step 3 in a fresh copy: same batches, same state, same weights.
  const fileB = await project('b');
  const b = recorder();
  const outB = await train({ conceptFile: fileB, resume: false }, b.ctx, { ...extras(), steps: 3 });
  const loraB = await loraTensors(outB.files.find((f) => f.endsWith(join('exports', 'zwx.safetensors')))!);
  for (const [k, v] of lora) {
    const w = loraB.get(k)!;
    for (let i = 0; i < v.length; i++) assert.ok(Math.abs(v[i]! - w[i]!) <= 1e-6 * (1 + Math.abs(w[i]!)), `${k}[${i}]: resumed ${v[i]} vs uninterrupted ${w[i]}`);
  }
  assert.deepEqual(r.losses().map((e) => e.loss!.toFixed(5)), b.losses().slice(1).map((e) => e.loss!.toFixed(5)));

  // The training log: one record per step, continued on resume, the same records progress carried.
  const log = readTrainLog(join(root, 'a', 'runs', 'logs', 'train.jsonl'));
  assert.deepEqual(log.map((x) => x.step), [1, 2, 3]);
  assert.deepEqual(log.slice(1), r.losses().map((e) => e.train));
  for (const x of log) {
    assert.ok(Math.abs(x.loss - (x.instanceLoss + x.priorLoss)) < 1e-5 * x.loss, 'loss = instance + prior (weight 1)');
    assert.ok(x.priorLoss > 0 && x.lr === 1e-4 && x.gradNorm! > 0 && x.stepSeconds > 0 && x.peakRssMiB > 50 && !Number.isNaN(Date.parse(x.time)));
  }

  // generate loads the LoRA (its keys are checked against the model) and records it in the PNG.
  const [img] = await generate(
    { model: resolve('fixtures/tiny-sd'), prompt: 'photo of zwx person', negativePrompt: '', count: 1, steps: 2, guidance: 7.5, sampler: 'ddim', seed: 1, width: 64, height: 64, outDir: join(root, 'gen'), lora: final },
    recorder().ctx,
    { runtime, cacheDir },
  );
  assert.match(readTextChunks(await readFile(img!)).parameters ?? '', /Lora: "?zwx:1"?/);
});

test('train: refuses before building anything when the job cannot fit the memory limit, naming both', async () => {
  const file = await project('small');
  process.env.DREAMBOOTH_MEMORY_LIMIT = '64M';
  try {
    const r = recorder();
    await assert.rejects(train({ conceptFile: file, resume: false }, r.ctx, extras()), (e: Error) => {
      assert.ok(e instanceof TrainMemoryError, String(e));
      assert.match(e.message, /needs about \d+\.\d GiB, but 0\.1 GiB is available \(DREAMBOOTH_MEMORY_LIMIT=64M\)/);
      assert.match(e.message, /What would fit: .*a higher DREAMBOOTH_MEMORY_LIMIT/);
      return true;
    });
    assert.ok(!r.events.some((e) => e.phase === 'encoding images' || e.phase === 'training'), 'nothing was encoded or trained');
  } finally {
    delete process.env.DREAMBOOTH_MEMORY_LIMIT;
  }
  await assert.rejects(readFile(join(root, 'small', 'runs', 'checkpoints', 'zwx.resume.safetensors')), /ENOENT/);
});

test('train: a cancel that arrives while the training session is being created stops the job', async () => {
  const file = await project('cancel-build');
  const r = recordingContext((p) => p.phase === 'building the training step');
  await assert.rejects(train({ conceptFile: file, resume: false }, r.ctx, extras()), JobCancelled);
  assert.ok(!r.events.some((e) => e.phase === 'training'), 'no step ran');
  await assert.rejects(readFile(join(root, 'cancel-build', 'runs', 'logs', 'train.jsonl')), /ENOENT/);
});

test('train: max_grad_norm 0 trains without clipping (no norm in the log); a schedule sets each step\'s rate', async () => {
  const file = await project('noclip');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/train \{/, 'train {\n  max_grad_norm 0\n  lr_scheduler linear\n  lr_warmup_steps 1'));
  await train({ conceptFile: file, resume: false }, recorder().ctx, { ...extras(), steps: 3 });
  const log = readTrainLog(join(root, 'noclip', 'runs', 'logs', 'train.jsonl'));
  assert.deepEqual(log.map((x) => x.gradNorm), [null, null, null]);
  // linear with 1 warm-up step of 3: 0, then (3 − 1)/2 and (3 − 2)/2 of the peak (diffusers' definition)
  assert.deepEqual(log.map((x) => x.lr), [0, 1e-4, 0.5e-4]);
});

test('train: mixed_precision fp16 logs each step\'s loss scale, keeps the scaler in the resume state and continues it; the CPU provider is warned about', async () => {
  const file = await project('fp16');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/train \{/, 'train {\n  mixed_precision fp16'));
  const first = recorder();
  await train({ conceptFile: file, resume: false }, first.ctx, { ...extras(), steps: 2 });
  assert.ok(first.logs.some((m) => m.includes('mixed_precision fp16 on the CPU provider')), first.logs.join(' | '));
  const state = await readSafetensorsIndex(join(root, 'fp16', 'runs', 'checkpoints', 'zwx.resume.safetensors'));
  assert.deepEqual(JSON.parse(state.metadata.dreambooth_loss_scale ?? '{}'), { scale: 65536, growthTracker: 2, skipped: 0 });
  await train({ conceptFile: file, resume: true }, recorder().ctx, { ...extras(), steps: 3 });
  const log = readTrainLog(join(root, 'fp16', 'runs', 'logs', 'train.jsonl'));
  assert.deepEqual(log.map((x) => [x.step, x.lossScale, x.skipped]), [[1, 65536, false], [2, 65536, false], [3, 65536, false]]);
  assert.ok(log.every((x) => Number.isFinite(x.loss) && x.gradNorm !== null));
  const resumed = await readSafetensorsIndex(join(root, 'fp16', 'runs', 'checkpoints', 'zwx.resume.safetensors'));
  assert.equal(JSON.parse(resumed.metadata.dreambooth_loss_scale ?? '{}').growthTracker, 3, 'the scaler continued from the saved state');
});

test('train: mixed_precision fp16: a step skipped on overflow does not advance the learning-rate schedule (as accelerate\'s scheduler does not)', async () => {
  const file = await project('fp16lr');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/train \{/, 'train {\n  mixed_precision fp16\n  lr_scheduler linear\n  lr_warmup_steps 1'));
  await train({ conceptFile: file, resume: false }, recorder().ctx, { ...extras(), steps: 2 });
  // A loss scale no float16 gradient survives: the next steps overflow and are skipped.
  const resume = join(root, 'fp16lr', 'runs', 'checkpoints', 'zwx.resume.safetensors');
  const idx = await readSafetensorsIndex(resume);
  const tensors = Object.fromEntries(await Promise.all([...idx.tensors.keys()].map(async (k) => [k, await readTensor(idx, k)] as const)));
  await writeSafetensors(resume, tensors, { ...idx.metadata, dreambooth_loss_scale: JSON.stringify({ scale: 2 ** 100, growthTracker: 0, skipped: 0 }) });
  await train({ conceptFile: file, resume: true }, recorder().ctx, { ...extras(), steps: 4 });
  const log = readTrainLog(join(root, 'fp16lr', 'runs', 'logs', 'train.jsonl'));
  assert.deepEqual(log.slice(2).map((x) => [x.step, x.skipped]), [[3, true], [4, true]]);
  // linear, 1 warm-up step of 4: update 2 has (4 − 2)/3 of the peak, and stays there while steps are skipped
  const at2 = (1e-4 * 2) / 3;
  log.slice(2).forEach((x) => assert.ok(Math.abs(x.lr - at2) < 1e-12, `step ${x.step}: lr ${x.lr}, want ${at2}`));
});

test('train: one run per output folder — a live lock refuses with who holds it, a stale one is taken over and released', async () => {
  const file = await project('locked');
  const runs = join(root, 'locked', 'runs');
  await mkdir(runs, { recursive: true });
  const lock = join(runs, 'train.lock');
  await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-11-29T00:00:00.000Z' }));
  await assert.rejects(train({ conceptFile: file, resume: false }, recorder().ctx, { ...extras(), steps: 1 }), /another training run is using .*runs \(process \d+, since 2026-11-29/);
  const gone = spawnSync(process.execPath, ['-e', '0']).pid; // a process that has exited: its lock is stale
  await writeFile(lock, JSON.stringify({ pid: gone, host: hostname(), since: '2026-11-29T00:00:00.000Z' }));
  await train({ conceptFile: file, resume: false }, recorder().ctx, { ...extras(), steps: 1 });
  await assert.rejects(readFile(lock), /ENOENT/, 'released at the end');
});

/** The concept file of a fresh copy with `lines` added to its train block. */
async function projectWith(name: string, lines: string): Promise<string> {
  const file = await project(name);
  await writeFile(file, (await readFile(file, 'utf8')).replace(/train \{/, `train {\n${lines}`));
  return file;
}

test('train: method lora with train_text_encoder exports UNet and text-encoder adapters (kohya lora_te_) that generate applies', async () => {
  const file = await projectWith('te-lora', '  train_text_encoder true');
  const out = await train({ conceptFile: file, resume: false }, recorder().ctx, { ...extras(), steps: 2 });
  const final = out.files.find((f) => f.endsWith(join('exports', 'zwx.safetensors')))!;
  const lora = await loraTensors(final);
  const te = [...lora.keys()].filter((k) => k.startsWith('lora_te_text_model_encoder_layers_'));
  // 5 layers × q/k/v/out_proj × (down, up, alpha), beside the UNet's 48 modules.
  assert.equal(te.length, 5 * 4 * 3);
  assert.equal([...lora.keys()].filter((k) => k.startsWith('lora_unet_')).length, 48 * 3);
  assert.ok(lora.has('lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight'));
  assert.ok(te.filter((k) => k.endsWith('lora_up.weight')).some((k) => lora.get(k)!.some((x) => x !== 0)), 'text-encoder lora_up trained');
  const gen = (lora?: string) =>
    generate({ model: resolve('fixtures/tiny-sd'), prompt: 'photo of zwx person', negativePrompt: '', count: 1, steps: 2, guidance: 7.5, sampler: 'ddim', seed: 1, width: 64, height: 64, outDir: join(root, 'te-gen', lora ? 'lora' : 'base'), lora }, recorder().ctx, { runtime, cacheDir });
  const [withLora] = await gen(final);
  const [base] = await gen();
  assert.notDeepEqual(await readFile(withLora!), await readFile(base!));
});

test('train: method full with train_text_encoder trains every UNet and text-encoder weight; resume continues; generate applies the weights', async () => {
  const file = await projectWith('full', '  train_text_encoder true');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/method\s+lora/, 'method full'));
  const a = recorder(1);
  await assert.rejects(train({ conceptFile: file, resume: false }, a.ctx, { ...extras(), steps: 2 }), JobCancelled);
  const r = recorder();
  const out = await train({ conceptFile: file, resume: true }, r.ctx, { ...extras(), steps: 2 });
  assert.deepEqual(r.losses().map((e) => e.step), [2]);
  const weightsFile = join(root, 'full', 'runs', 'checkpoints', 'zwx-step-000002.safetensors');
  const idx = await readSafetensorsIndex(weightsFile);
  assert.equal(idx.metadata.dreambooth_method, 'full');
  assert.equal(idx.metadata.dreambooth_step, '2');
  const base = await readSafetensorsIndex('fixtures/tiny-sd/unet/diffusion_pytorch_model.safetensors');
  const baseTe = await readSafetensorsIndex('fixtures/tiny-sd/text_encoder/model.safetensors');
  const keys = [...idx.tensors.keys()];
  assert.equal(keys.filter((k) => k.startsWith('unet.')).length, base.tensors.size, 'every UNet weight');
  assert.equal(keys.filter((k) => k.startsWith('text_encoder.')).length, [...baseTe.tensors.keys()].filter((k) => !k.endsWith('position_ids')).length, 'every text-encoder weight');
  const moved = async (key: string, from: typeof base, name: string) => {
    const [w, w0] = [(await readTensorF32(idx, key)).data, (await readTensorF32(from, name)).data];
    return w.some((x, i) => x !== w0[i]);
  };
  assert.ok(await moved('unet.conv_in.weight', base, 'conv_in.weight'), 'UNet trained');
  assert.ok(await moved('text_encoder.text_model.encoder.layers.0.self_attn.q_proj.weight', baseTe, 'text_model.encoder.layers.0.self_attn.q_proj.weight'), 'text encoder trained');
  assert.ok(out.files.some((f) => f.endsWith('zwx-step-000002.safetensors')), `the step's weights among ${out.files.join(', ')}`);
  assert.ok(out.images.length >= 1, 'a sample drawn through the trained weights');
  // …and ends with a merged single-file checkpoint (original layout) for AUTOMATIC1111 / ComfyUI.
  const ckpt = out.files.find((f) => f.endsWith(join('exports', 'zwx-checkpoint.safetensors')));
  assert.ok(ckpt, `a checkpoint export among ${out.files.join(', ')}`);
  const ck = await readSafetensorsIndex(ckpt);
  assert.ok(ck.tensors.has('model.diffusion_model.input_blocks.0.0.weight') && ck.tensors.has('cond_stage_model.transformer.text_model.final_layer_norm.weight'));
  const w = (await readTensorF32(ck, 'model.diffusion_model.input_blocks.0.0.weight')).data;
  assert.deepEqual([...w], [...(await readTensorF32(idx, 'unet.conv_in.weight')).data], 'the trained conv_in, not the base one');
  const gen = (lora?: string) =>
    generate({ model: resolve('fixtures/tiny-sd'), prompt: 'photo of zwx person', negativePrompt: '', count: 1, steps: 2, guidance: 7.5, sampler: 'ddim', seed: 1, width: 64, height: 64, outDir: join(root, 'full-gen', lora ? 'tuned' : 'base'), lora }, recorder().ctx, { runtime, cacheDir });
  assert.notDeepEqual(await readFile((await gen(weightsFile))[0]!), await readFile((await gen())[0]!));
  // Resuming with LoRA settings cannot continue full weights: refused, naming them; nothing overwritten.
  await writeFile(file, (await readFile(file, 'utf8')).replace(/method full/, 'method lora'));
  await assert.rejects(train({ conceptFile: file, resume: true }, recorder().ctx, { ...extras(), steps: 3 }), /was trained with other settings \(method "full" → "lora"; lora_rank \(not set\) → 4; lora_alpha \(not set\) → 4\); resuming would mix two runs/);
  assert.equal((await readSafetensorsIndex(join(root, 'full', 'runs', 'checkpoints', 'zwx.resume.safetensors'))).metadata.dreambooth_step, '2');
});

test('resume: a changed rank or resolution is refused by name; a changed step count continues; two concept files in one folder never continue each other', async () => {
  const file = await projectWith('resume-rules', '');
  await train({ conceptFile: file, resume: false }, recorder().ctx, { ...extras(), steps: 1 });
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/train \{/, 'train {\n  lora_rank 8'));
  await assert.rejects(train({ conceptFile: file, resume: true }, recorder().ctx, { ...extras(), steps: 2 }), /other settings \(lora_rank 4 → 8; lora_alpha 4 → 8\); resuming would mix two runs\. Put the settings back, or train from scratch/);
  await writeFile(file, text);
  const r = recorder();
  await train({ conceptFile: file, resume: true }, r.ctx, { ...extras(), steps: 2 });
  assert.deepEqual(r.losses().map((e) => e.step), [2], 'more steps: the run continues');
  // A second concept file in the same folder (same identifier, same runs/) starts its own run.
  const other = join(root, 'resume-rules', 'other.dreambooth');
  await writeFile(other, text);
  const o = recorder();
  await train({ conceptFile: other, resume: true }, o.ctx, { ...extras(), steps: 1 });
  assert.ok(o.logs.some((m) => m.includes('nothing to resume')), o.logs.join(' | '));
  assert.deepEqual(o.losses().map((e) => e.step), [1]);
});

test('resume: what an interrupted save left (a dead process\'s temp file) is removed; a live writer\'s is kept', async () => {
  const file = await projectWith('strays', '');
  const ckpts = join(root, 'strays', 'runs', 'checkpoints');
  await mkdir(ckpts, { recursive: true });
  const gone = spawnSync(process.execPath, ['-e', '0']).pid;
  const stray = join(ckpts, `zwx.resume.safetensors.tmp-${gone}-0badf00d`);
  const live = join(ckpts, `zwx-step-000001.safetensors.tmp-${process.pid}-0badf00d`);
  await writeFile(stray, 'half a file');
  await writeFile(live, 'being written');
  const r = recorder();
  await train({ conceptFile: file, resume: true }, r.ctx, { ...extras(), steps: 1 });
  await assert.rejects(readFile(stray), /ENOENT/);
  assert.equal(await readFile(live, 'utf8'), 'being written');
  assert.ok(r.logs.some((m) => m.includes(`removed ${stray}`)));
});

test('train: two concepts, batch_size 2, one without a class prompt (prior preservation off), random_flip, min-SNR and noise offset together', async () => {
  const file = await projectWith('multi', '  batch_size 2\n  random_flip true\n  min_snr_gamma 5\n  noise_offset 0.05\n  gradient_accumulation_steps 2');
  const text = await readFile(file, 'utf8');
  await writeFile(file, text.replace(/concept zwx \{/, 'concept sks {\n  instance_prompt "photo of sks dog"\n  instance_images "./photos"\n}\n\nconcept zwx {'));
  const r = recorder();
  const out = await train({ conceptFile: file, resume: false }, r.ctx, { ...extras(), steps: 2 });
  assert.ok(r.logs.some((m) => m.includes('prior preservation is off')), r.logs.join(' | '));
  const log = readTrainLog(join(root, 'multi', 'runs', 'logs', 'train.jsonl'));
  assert.deepEqual(log.map((x) => x.step), [1, 2]);
  for (const x of log) assert.ok(x.instanceLoss > 0 && x.priorLoss === 0 && Number.isFinite(x.loss));
  const final = out.files.find((f) => f.endsWith(join('exports', 'sks+zwx.safetensors')));
  assert.ok(final, `the run of both concepts is named by both: ${out.files.join(', ')}`);
});
