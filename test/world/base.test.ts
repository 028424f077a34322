// The world base model's pretraining (world/base/): initial weights follow the reference libraries'
// distributions; the folder it writes is a model the sidecar opens; the VAE step learns; and a run
// stopped and resumed ends with exactly the weights of an uninterrupted one; the decoder fine-tune
// leaves the encoder alone.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SdModel } from '../../sidecar/pipeline/sd-model';
import { openRuntime } from '../../sidecar/runtime/runtime';
import { IMAGE_SIZE, LATENT_SIZE, TEXT_ENCODER } from '../../world/base/config';
import { imageBatch, loadWorldSet } from '../../world/base/data';
import { componentParams, initialWeights, textConfig, vaeConfig, writeComponent, writeSkeleton } from '../../world/base/folder';
import { clipTextInit, torchDefaultInit } from '../../world/base/init';
import { f32, GraphStepper } from '../../world/base/stepper';
import { settingsMetadata } from '../../world/base/state';
import { unetRate } from '../../world/base/unet-train';
import { buildVaeStep, isDecoderParam, VAE_IO } from '../../world/base/vae-graph';
import { DECODER_TRAINING, fineTuneDecoder, trainVae, VAE_TRAINING } from '../../world/base/vae-train';

const dirs: string[] = [];
const temp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'world-base-'));
  dirs.push(d);
  return d;
};
after(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

const stats = (a: Float32Array) => {
  const m = a.reduce((s, v) => s + v, 0) / a.length;
  return { mean: m, std: Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length), max: a.reduce((s, v) => Math.max(s, Math.abs(v)), 0) };
};

test('initial weights: torch layer defaults U(±1/√fan_in) for convs and linears, norms 1 and 0; seeded per parameter', () => {
  const params = [
    { name: 'conv.weight', shape: [64, 32, 3, 3] },
    { name: 'conv.bias', shape: [64] },
    { name: 'proj.weight', shape: [128, 256] },
    { name: 'norm1.weight', shape: [64] },
    { name: 'norm1.bias', shape: [64] },
  ];
  const w = torchDefaultInit(params, 3);
  const bound = 1 / Math.sqrt(32 * 9);
  const c = stats(w.get('conv.weight')!);
  assert.ok(c.max <= bound && c.max > 0.99 * bound, `max ${c.max} vs bound ${bound}`);
  assert.ok(Math.abs(c.std - bound / Math.sqrt(3)) < 0.02 * bound, `std ${c.std}`);
  assert.ok(stats(w.get('conv.bias')!).max <= bound);
  assert.ok(Math.abs(stats(w.get('proj.weight')!).std - 1 / Math.sqrt(256) / Math.sqrt(3)) < 0.002);
  assert.deepEqual([...w.get('norm1.weight')!], Array(64).fill(1));
  assert.deepEqual([...w.get('norm1.bias')!], Array(64).fill(0));
  // one stream per parameter: the same seed repeats, another seed or another parameter does not
  assert.deepEqual(torchDefaultInit(params.slice(0, 1), 3).get('conv.weight'), w.get('conv.weight'));
  assert.notDeepEqual(torchDefaultInit(params.slice(0, 1), 4).get('conv.weight'), w.get('conv.weight'));
  assert.throws(() => torchDefaultInit([{ name: 'mystery', shape: [3] }], 1), /no rule for "mystery"/);
});

test('initial text encoder: transformers CLIP init (N(0, 0.02) embeddings, scaled projections, zero biases)', () => {
  const H = TEXT_ENCODER.hidden_size;
  const L = TEXT_ENCODER.num_hidden_layers;
  const w = clipTextInit(componentParams('text_encoder'), 5, { hidden: H, layers: L });
  const close = (name: string, std: number) => {
    const s = stats(w.get(name)!);
    assert.ok(Math.abs(s.std - std) < 0.05 * std && Math.abs(s.mean) < 0.05 * std, `${name}: std ${s.std} (want ${std}), mean ${s.mean}`);
  };
  close('text_model.embeddings.token_embedding.weight', 0.02);
  close('text_model.encoder.layers.0.self_attn.q_proj.weight', H ** -0.5 * (2 * L) ** -0.5);
  close('text_model.encoder.layers.1.self_attn.out_proj.weight', H ** -0.5);
  close('text_model.encoder.layers.0.mlp.fc1.weight', (2 * H) ** -0.5);
  assert.ok(w.get('text_model.encoder.layers.0.mlp.fc1.bias')!.every((v) => v === 0));
  assert.ok(w.get('text_model.final_layer_norm.weight')!.every((v) => v === 1));
});

test('the folder it writes opens as an SD 1.x model: 3-level VAE (64 px → 16×16×4), CLIP vocabulary, SD 1.5 scheduler', async () => {
  const dir = await temp();
  const w = initialWeights(1);
  await writeSkeleton(dir);
  await writeComponent(dir, 'vae', w.vae, { half: true, scalingFactor: 2.5 });
  await writeComponent(dir, 'unet', w.unet, { half: true });
  await writeComponent(dir, 'text_encoder', w.text_encoder, { half: true });
  const rt = await openRuntime({ providers: ['cpu'] });
  try {
    const model = await SdModel.open(dir, rt);
    assert.equal(model.vaeScale, IMAGE_SIZE / LATENT_SIZE);
    assert.equal(model.checkpoint.vae.scaling_factor, 2.5);
    assert.equal(model.checkpoint.textEncoder.vocab_size, 49408);
    assert.equal(model.checkpoint.unet.cross_attention_dim[0], textConfig().hidden_size);
    assert.equal((model.checkpoint.scheduler as { beta_schedule?: string }).beta_schedule, 'scaled_linear');
    const out = await model.vaeEncode(new Float32Array(3 * IMAGE_SIZE * IMAGE_SIZE), { batch: 1, height: IMAGE_SIZE, width: IMAGE_SIZE });
    assert.equal(out.mean!.length, 4 * LATENT_SIZE * LATENT_SIZE);
    await model.close();
  } finally {
    await rt.close();
  }
});

test('the VAE step learns: the reconstruction loss of a fixed batch falls', async () => {
  const rt = await openRuntime({ providers: ['cpu'] });
  try {
    const set = await loadWorldSet(await temp(), 9, 2, () => {});
    const step = buildVaeStep(vaeConfig(), 2, 1e-4);
    const s = await GraphStepper.open(rt, step.graph, step.adam, 'vae_train');
    s.setState({ weights: initialWeights(1).vae, step: 0 });
    const feeds = { [VAE_IO.image]: f32(imageBatch(set, [0, 1]), [2, 3, IMAGE_SIZE, IMAGE_SIZE]), [VAE_IO.eps]: f32(new Float32Array(2 * 4 * LATENT_SIZE ** 2), [2, 4, LATENT_SIZE, LATENT_SIZE]) };
    const losses: number[] = [];
    for (let i = 0; i < 12; i++) losses.push((await s.run(feeds, 1e-3))[VAE_IO.rec]![0]!);
    assert.ok(losses[11]! < 0.6 * losses[0]!, `reconstruction loss ${losses.map((l) => l.toFixed(3)).join(' → ')}`);
    await s.close();
  } finally {
    await rt.close();
  }
});

test('a stage stopped and resumed ends with exactly the weights of an uninterrupted run', async () => {
  const rt = await openRuntime({ providers: ['cpu'] });
  try {
    const o = { ...VAE_TRAINING, batch: 2, steps: 4 };
    const straight = await temp();
    const resumed = await temp();
    const set = await loadWorldSet(straight, 9, 6, () => {});
    const a = await trainVae(rt, straight, set, o, 1, () => {});
    const half = await trainVae(rt, resumed, set, { ...o, steps: 2 }, 1, () => {});
    const b = await trainVae(rt, resumed, set, o, 1, () => {});
    assert.ok(a && half && b);
    for (const [name, w] of a) assert.deepEqual(b.get(name), w, name);
    assert.notDeepEqual(half.get('decoder.conv_out.weight'), a.get('decoder.conv_out.weight'));
  } finally {
    await rt.close();
  }
});

test('the decoder fine-tune trains the decoder alone: the encoder (and so the latents the UNet learnt) is unchanged', async () => {
  const rt = await openRuntime({ providers: ['cpu'] });
  try {
    const work = await temp();
    const world = await loadWorldSet(work, 9, 4, () => {});
    const detail = await loadWorldSet(work, 9, 4, () => {}, { detail: true });
    assert.notDeepEqual(detail.pixels, world.pixels);
    const vae = initialWeights(1).vae;
    const tuned = await fineTuneDecoder(rt, work, [world, detail], vae, { ...DECODER_TRAINING, batch: 2, steps: 3 }, 1, () => {});
    assert.ok(tuned);
    assert.deepEqual([...tuned.keys()].sort(), [...vae.keys()].sort());
    let moved = 0;
    for (const [name, w] of vae) {
      if (isDecoderParam(name)) moved += Number(tuned.get(name)!.some((v, i) => v !== w[i]));
      else assert.deepEqual(tuned.get(name), w, `${name} changed`);
    }
    assert.ok(moved > 10, `${moved} decoder tensors moved`);
    assert.equal(await fineTuneDecoder(rt, work, [world], vae, { ...DECODER_TRAINING, steps: 0 }, 1, () => {}), vae);
  } finally {
    await rt.close();
  }
});

test('the UNet rate: warm-up, constant (a run can be extended), and from --decay-from a cosine to a tenth at the last step', () => {
  const o = { lr: 4e-4, warmup: 200, steps: 16000 };
  assert.equal(unetRate(0, o), 2e-6);
  assert.equal(unetRate(199, o), 4e-4);
  assert.equal(unetRate(15999, o), 4e-4, 'no decay without decayFrom');
  const d = { ...o, decayFrom: 12000 };
  assert.equal(unetRate(11999, d), 4e-4);
  assert.equal(unetRate(12000, d), 4e-4);
  assert.ok(Math.abs(unetRate(14000, d) - 4e-4 * 0.55) < 1e-9, String(unetRate(14000, d))); // halfway: (1 + 0.1) / 2
  assert.ok(Math.abs(unetRate(16000, d) - 4e-5) < 1e-12);
});

test('a stage records its settings as metadata strings, leaving out the unset ones', () => {
  assert.deepEqual(settingsMetadata({ steps: 16000, lr: 4e-4, decayFrom: undefined }), { steps: '16000', lr: '0.0004' });
});
