// The train options that change how a step's batch is drawn or weighted: min_snr_gamma (weights against
// diffusers' compute_snr, fixtures/train-steps), noise_offset (diffusers' noise + offset·randn(b, c, 1, 1)),
// random_flip (the mirror image's latents), each leaving the rest of the batch as it was.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { ConceptBlock } from '../../language/resolve';
import { SdModel } from '../../sidecar/pipeline/sd-model';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { DdpmScheduler } from '../../sidecar/schedulers/ddpm';
import type { SchedulerConfig } from '../../sidecar/schedulers/config';
import { mirror, TrainingData, type Augment } from '../../sidecar/training/data';
import { minSnrWeights } from '../../sidecar/training/min-snr';
import { Trainer } from '../../sidecar/training/trainer';
import { tokenizerFor } from '../../sidecar/pipeline/prompt';

let runtime: Runtime;
let model: SdModel;
before(async () => {
  runtime = await openRuntime({ providers: ['cpu'] });
  model = await SdModel.open('fixtures/tiny-sd', runtime);
});
after(async () => {
  await model?.close();
  await runtime?.close();
});

test('min-SNR weights match diffusers compute_snr: min(snr, γ)/snr for epsilon, min(snr, γ)/(snr + 1) for v', async () => {
  const ref = JSON.parse(await readFile('fixtures/train-steps/train-steps.json', 'utf8')).snr as { timesteps: number[]; gamma: number; weight_epsilon: number[]; weight_v_prediction: number[] };
  const ddpm = new DdpmScheduler(model.checkpoint.scheduler as SchedulerConfig);
  for (const [kind, want] of [['epsilon', ref.weight_epsilon], ['v_prediction', ref.weight_v_prediction]] as const) {
    const got = minSnrWeights(ddpm.alphasCumprod, ref.timesteps, ref.gamma, kind);
    got.forEach((w, i) => assert.ok(Math.abs(w - want[i]!) <= 1e-5 * Math.max(1, want[i]!), `${kind} t=${ref.timesteps[i]}: ${w} vs ${want[i]}`));
  }
  assert.ok(ref.weight_epsilon[0]! < 1 && ref.weight_epsilon.at(-1) === 1, 'the fixture covers both sides of γ');
});

const pixels = (seed: number) => Float32Array.from({ length: 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.37 + seed) * 0.8);
const block = { name: 'zwx', instancePrompt: 'photo of zwx person', classPrompt: 'photo of a person' } as ConceptBlock;
const images = { block, instance: [0, 1].map((s) => ({ file: `i${s}.png`, pixels: pixels(s), warnings: [] })), classes: [2, 3].map((s) => ({ file: `c${s}.png`, pixels: pixels(s), warnings: [] })) };
const data = (augment: Augment) => TrainingData.build(model, [images], { resolution: 64, seed: 7, batchSize: 1, augment });
const OFF: Augment = { noiseOffset: 0, randomFlip: false, minSnrGamma: 0 };

test('mirror reverses every row of every channel', () => {
  const p = Float32Array.from({ length: 2 * 2 * 3 }, (_, i) => i);
  assert.deepEqual([...mirror(p, 3)], [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9]);
});

test('noise_offset shifts each (image, channel) plane of the noise by one constant; the batch is otherwise the same', async () => {
  const [plain, shifted] = [await data(OFF), await data({ ...OFF, noiseOffset: 0.1 })];
  const side = 64 / model.vaeScale;
  const plane = side * side;
  for (let step = 0; step < 3; step++) {
    const a = plain.batchAt(step);
    const b = shifted.batchAt(step);
    assert.deepEqual(b.timesteps, a.timesteps);
    const shifts = new Set<string>();
    for (let p = 0; p < a.target.length / plane; p++) {
      const d = b.target[p * plane]! - a.target[p * plane]!;
      for (let k = 1; k < plane; k++) assert.ok(Math.abs(b.target[p * plane + k]! - a.target[p * plane + k]! - d) < 1e-6, 'constant over the plane');
      assert.ok(Math.abs(d) < 0.5, `a shift of offset × a normal draw, got ${d}`);
      shifts.add(d.toFixed(6));
    }
    assert.ok(shifts.size > 1, 'a different shift per channel');
  }
});

test('random_flip draws some items from the mirror image, the rest unchanged', async () => {
  const [plain, flipped] = [await data(OFF), await data({ ...OFF, randomFlip: true })];
  let same = 0;
  let mirrored = 0;
  const per = 4 * (64 / model.vaeScale) ** 2;
  for (let step = 0; step < 8; step++) {
    const a = plain.batchAt(step);
    const b = flipped.batchAt(step);
    assert.deepEqual(b.target, a.target, 'the noise does not move');
    for (let i = 0; i < 2; i++) {
      const eq = a.noisyLatents.subarray(i * per, (i + 1) * per).every((v, k) => v === b.noisyLatents[i * per + k]);
      if (eq) same++;
      else mirrored++;
    }
  }
  assert.ok(same > 0 && mirrored > 0, `both kinds over 8 steps (same ${same}, mirrored ${mirrored})`);
});

test('min_snr_gamma weights the instance loss (not the prior) the way the reference formula does', async () => {
  const weighted = await data({ ...OFF, minSnrGamma: 5 });
  const batch = weighted.batchAt(0);
  assert.ok(batch.lossWeights && batch.lossWeights.length === 1);
  const ddpm = new DdpmScheduler(model.checkpoint.scheduler as SchedulerConfig);
  assert.deepEqual([...batch.lossWeights], [...minSnrWeights(ddpm.alphasCumprod, batch.timesteps.slice(0, 1), 5, 'epsilon')]);
  const tr = await Trainer.open(model, { instanceBatch: 1, classBatch: 1, height: 64 / model.vaeScale, width: 64 / model.vaeScale, lora: { rank: 2, alpha: 2, targets: ['to_q'] }, priorLossWeight: 1, adam: {} });
  try {
    const zero = new Map(tr.params.map((p) => [p.name, new Float32Array(p.shape.reduce((a, d) => a * d, 1))]));
    await tr.setState({ weights: zero, step: 0 });
    const unweighted = await tr.run({ ...batch, lossWeights: undefined }, 0);
    const w = await tr.run(batch, 0);
    assert.ok(Math.abs(w.instanceLoss - batch.lossWeights[0]! * unweighted.instanceLoss) < 1e-6 * unweighted.instanceLoss);
    assert.ok(Math.abs(w.priorLoss - unweighted.priorLoss) < 1e-7 * unweighted.priorLoss);
  } finally {
    await tr.close();
  }
});

test('gradient_accumulation_steps: two accumulated batches make the same update as one batch of both (accelerate: loss / k, gradients summed, clipped once)', async () => {
  const d = await data(OFF);
  const [a, b] = [d.batchAt(0), d.batchAt(1)];
  const side = 64 / model.vaeScale;
  const per = 4 * side * side;
  const ctx = a.context!.length / 2;
  const cat = (x: Float32Array, y: Float32Array, n: number) => Float32Array.from([...x.subarray(0, n), ...y.subarray(0, n), ...x.subarray(n), ...y.subarray(n)]);
  const both = { noisyLatents: cat(a.noisyLatents, b.noisyLatents, per), target: cat(a.target, b.target, per), context: cat(a.context!, b.context!, ctx), timesteps: [a.timesteps[0]!, b.timesteps[0]!, a.timesteps[1]!, b.timesteps[1]!] };
  const opts = { height: side, width: side, lora: { rank: 2, alpha: 2, targets: ['to_q', 'to_v'] }, priorLossWeight: 1, adam: { maxGradNorm: 1e-3 } };
  const acc = await Trainer.open(model, { ...opts, instanceBatch: 1, classBatch: 1, accumulate: true });
  const one = await Trainer.open(model, { ...opts, instanceBatch: 2, classBatch: 2 });
  try {
    const init = new Map(acc.params.map((p, i) => [p.name, Float32Array.from({ length: p.shape.reduce((x, y) => x * y, 1) }, (_, k) => Math.sin(k + i) * 0.1)]));
    await acc.setState({ weights: init, step: 0 });
    await one.setState({ weights: init, step: 0 });
    const ra = await acc.run([a, b], 1e-3);
    const rb = await one.run(both, 1e-3);
    assert.ok(Math.abs(ra.loss - rb.loss) < 1e-5 * rb.loss, `mean loss ${ra.loss} vs ${rb.loss}`);
    assert.ok(Math.abs(ra.gradNorm! - rb.gradNorm!) < 1e-4 * rb.gradNorm!, `clipped on the summed gradient: ${ra.gradNorm} vs ${rb.gradNorm}`);
    assert.ok(rb.gradNorm! > 1e-3, 'clipping bites');
    const [sa, sb] = [await acc.state(), await one.state()];
    assert.equal(sa.step, 1);
    let moved = 0;
    for (const [k, w] of sb.weights) {
      const v = sa.weights.get(k)!;
      w.forEach((x, i) => {
        assert.ok(Math.abs(v[i]! - x) <= 2e-6 + 1e-5 * Math.abs(x), `${k}[${i}]: ${v[i]} vs ${x}`);
        if (x !== init.get(k)![i]) moved++;
      });
    }
    assert.ok(moved > 0, 'the step updated the weights');
    // The next step (its sums restarted from 0) moves the weights again.
    const before = (await acc.state()).weights;
    await acc.run([d.batchAt(2), d.batchAt(3)], 1e-3);
    assert.notDeepEqual((await acc.state()).weights, before);
  } finally {
    await acc.close();
    await one.close();
  }
});

test('train_text_encoder_steps: the text encoder is updated for the first N steps, then left exactly as it is while the UNet goes on; its gradients leave the clipping norm', async () => {
  const d = await TrainingData.build(model, [images], { resolution: 64, seed: 7, batchSize: 1, conditioning: 'input_ids' });
  const side = 64 / model.vaeScale;
  const tr = await Trainer.open(model, {
    instanceBatch: 1,
    classBatch: 1,
    height: side,
    width: side,
    lora: { rank: 2, alpha: 2, targets: ['to_q'] },
    textEncoder: { config: model.checkpoint.textEncoder, mode: 'lora', steps: 1 },
    priorLossWeight: 1,
    adam: { maxGradNorm: 1 },
    outputGrads: true,
  });
  try {
    const init = new Map(tr.params.map((p, i) => [p.name, Float32Array.from({ length: p.shape.reduce((x, y) => x * y, 1) }, (_, k) => Math.cos(k + i) * 0.05)]));
    await tr.setState({ weights: init, step: 0 });
    const isTe = (k: string) => k.startsWith('text_encoder.');
    const changed = (a: Map<string, Float32Array>, b: Map<string, Float32Array>, te: boolean) => [...a].filter(([k]) => isTe(k) === te).some(([k, v]) => v.some((x, i) => x !== b.get(k)![i]));
    await tr.run(d.batchAt(0), 1e-3);
    const s1 = (await tr.state()).weights;
    assert.ok(changed(s1, init, true) && changed(s1, init, false), 'step 1 trains both');
    const r2 = await tr.run(d.batchAt(1), 1e-3);
    const s2 = (await tr.state()).weights;
    assert.ok(!changed(s2, s1, true), 'the text encoder stays as it is after its steps');
    assert.ok(changed(s2, s1, false), 'the UNet goes on');
    const unetNorm = Math.sqrt([...r2.grads!].filter(([k]) => !isTe(k)).reduce((n, [, g]) => n + g.reduce((a, x) => a + x * x, 0), 0));
    assert.ok(Math.abs(r2.gradNorm! - unetNorm) <= 1e-4 * unetNorm, `norm of the UNet's gradients only: ${r2.gradNorm} vs ${unetNorm}`);
    assert.ok([...r2.grads!].some(([k, g]) => isTe(k) && g.some((x) => x !== 0)), 'the text encoder still has a gradient: it is left out on purpose');
  } finally {
    await tr.close();
  }
});

test('v-prediction: the target is diffusers get_velocity, √ᾱ·ε − √(1−ᾱ)·x0, of the same latents and noise', async () => {
  const eps = await data(OFF);
  const scheduler = { ...model.checkpoint.scheduler, prediction_type: 'v_prediction' };
  const vmodel = Object.create(model, { checkpoint: { value: { ...model.checkpoint, scheduler } } }) as SdModel;
  const v = await TrainingData.build(vmodel, [images], { resolution: 64, seed: 7, batchSize: 1, augment: OFF });
  const ac = new DdpmScheduler(model.checkpoint.scheduler as SchedulerConfig).alphasCumprod;
  const a = eps.batchAt(3);
  const b = v.batchAt(3);
  assert.deepEqual(b.noisyLatents, a.noisyLatents);
  const per = a.target.length / a.timesteps.length;
  a.target.forEach((noise, i) => {
    const t = a.timesteps[Math.floor(i / per)]!;
    const [s, s1] = [Math.sqrt(ac[t]!), Math.sqrt(1 - ac[t]!)];
    const x0 = (a.noisyLatents[i]! - s1 * noise) / s;
    assert.ok(Math.abs(b.target[i]! - (s * noise - s1 * x0)) < 1e-4 * (1 + Math.abs(x0)), `[${i}] ${b.target[i]} vs ${s * noise - s1 * x0}`);
  });
});

test('two concepts: a batch draws instance items from both, each with its own class prompt', async () => {
  const other = { block: { name: 'sks', instancePrompt: 'photo of sks dog', classPrompt: 'photo of a dog' } as ConceptBlock, instance: [4].map((s) => ({ file: `d${s}.png`, pixels: pixels(s), warnings: [] })), classes: [5].map((s) => ({ file: `e${s}.png`, pixels: pixels(s), warnings: [] })) };
  const d = await TrainingData.build(model, [images, other], { resolution: 64, seed: 3, batchSize: 2, conditioning: 'input_ids', augment: OFF });
  const tok = await tokenizerFor(model);
  const ids = (text: string) => tok.encode(text).ids.join();
  const classOf = new Map([[ids('photo of zwx person'), ids('photo of a person')], [ids('photo of sks dog'), ids('photo of a dog')]]);
  const seen = new Set<string>();
  for (let step = 0; step < 6; step++) {
    const b = d.batchAt(step);
    assert.equal(b.inputIds!.length, 4, 'two instance items, then their two class items');
    for (let i = 0; i < 2; i++) {
      const inst = b.inputIds![i]!.join();
      seen.add(inst);
      assert.equal(b.inputIds![i + 2]!.join(), classOf.get(inst), 'each class item follows its instance item\'s concept');
    }
  }
  assert.equal(seen.size, 2, 'both concepts are drawn');
});
