// Full fine-tuning and text-encoder training against reference steps computed by diffusers /
// transformers / peft with torch AdamW (fixtures/train-steps, made by fixtures/make/train_steps.py):
// the whole UNet trained; the UNet and the text encoder trained; UNet LoRA; UNet + text-encoder LoRA. Two steps on
// the same batch with clipping that bites: losses of both steps, the gradient norm, the gradients and
// the values after step 1 of a fixed list of parameters (the token embedding by the batch's rows).
//
// Tolerances come from the reference data (test/conformance/cases/compare.ts): predictions within
// HINT_FACTOR × the fixture's float32-noise hints of the UNet and text encoder; a loss L = mean(d²)
// within 2·√L·δ + δ²; gradients within that relative error of their own scale; a weight after one
// AdamW step within lr·min(2, 2·δg/|g|) (Adam's first step is lr·sign(g) where |g| ≫ δg) plus rounding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hintTolerance } from '../conformance/cases/compare';
import { parsePythonJson } from '../conformance/cases/context';
import { SdModel } from '../../sidecar/pipeline/sd-model';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { readSafetensorsIndex, readTensorF32, type StIndex } from '../../sidecar/weights/safetensors';
import { fileKeys } from '../../sidecar/training/state-file';
import { baseValues } from '../../sidecar/training/step-weights';
import { Trainer } from '../../sidecar/training/trainer';
import { TEXT_ENCODER_SCOPE } from '../../sidecar/training/lora';
import { fixtureStep, type RefOptimizer } from '../helpers/train-fixture';

const TINY = 'fixtures/tiny-sd';
const DIR = 'fixtures/train-steps';
const TOKEN_EMB = 'text_model.embeddings.token_embedding.weight';

interface RefCase {
  name: string;
  full_unet: boolean;
  full_text_encoder: boolean;
  lora: boolean;
  lora_text_encoder: boolean;
  lora_rank: number | null;
  lora_alpha: number | null;
  max_grad_norm: number;
  loss_step1: [number, number, number];
  loss_step2: [number, number, number];
  grad_norm_step1: number;
  grad_norm_step2: number;
  params: string[];
}
interface Ref {
  prior_loss_weight: number;
  optimizer: RefOptimizer;
  token_rows: number[];
  cases: RefCase[];
}

let runtime: Runtime;
let model: SdModel;
let ref: Ref;
let tensors: StIndex;
let inputs: StIndex;
let tolPred: number;

before(async () => {
  ref = JSON.parse(await readFile(join(DIR, 'train-steps.json'), 'utf8')) as Ref;
  tensors = await readSafetensorsIndex(join(DIR, 'train-steps.safetensors'));
  inputs = await readSafetensorsIndex(join(TINY, 'cases/lora_train.safetensors'));
  const index = parsePythonJson(await readFile(join(TINY, 'index.json'), 'utf8')) as { cases: { kind: string; fp64_max_abs_diff?: number }[] };
  const hint = (kind: string) => Math.max(...index.cases.filter((c) => c.kind === kind && c.fp64_max_abs_diff).map((c) => c.fp64_max_abs_diff!));
  // The text encoder's float32 noise reaches the UNet's output through its context: add both.
  tolPred = hintTolerance(hint('unet') + hint('text_encoder'));
  runtime = await openRuntime({ providers: ['cpu'] });
  model = await SdModel.open(TINY, runtime);
});
after(async () => {
  await model?.close();
  await runtime?.close();
});

const get = async (idx: StIndex, k: string) => (await readTensorF32(idx, k)).data;
const maxAbs = (x: Float32Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

async function runCase(name: string): Promise<void> {
  const c = ref.cases.find((x) => x.name === name)!;
  const noisy = await readTensorF32(inputs, 'noisy_latents');
  const ids = await get(inputs, 'instance_class_input_ids');
  const L = ids.length / 2;
  const inputIds = [Array.from(ids.subarray(0, L)), Array.from(ids.subarray(L))];
  const trainsTe = c.full_text_encoder || c.lora_text_encoder;
  const { lr, eps } = ref.optimizer;
  const trainer = await Trainer.open(model, {
    ...fixtureStep(noisy.shape, ref, c.max_grad_norm),
    unet: c.full_unet ? 'full' : 'lora',
    lora: c.lora ? { rank: c.lora_rank!, alpha: c.lora_alpha!, targets: ['to_q', 'to_k', 'to_v', 'to_out.0'] } : undefined,
    textEncoder: trainsTe ? { config: model.checkpoint.textEncoder, mode: c.lora_text_encoder ? 'lora' : 'full' } : undefined,
    outputGrads: true,
  });
  try {
    const keys = fileKeys(trainer.spec);
    const byKey = new Map([...keys].map(([param, key]) => [key, param]));
    // The reference names full weights `<diffusers key>` (UNet) / `text_encoder.<key>`, adapters by kohya name.
    const paramOf = (refName: string) => (c.lora ? byKey.get(refName) : refName);
    const weights = await baseValues(model.checkpoint, trainer.spec);
    if (c.lora) for (const [key, param] of byKey) weights.set(param, await get(tensors, `${name}/init/${key}`));
    assert.equal(weights.size, trainer.params.length, 'every trained parameter has a starting value');
    await trainer.setState({ weights, step: 0 });
    const batch = {
      noisyLatents: noisy.data,
      timesteps: Array.from(await get(inputs, 'timesteps')),
      target: await get(inputs, 'noise'),
      ...(trainsTe ? { inputIds } : { context: await get(inputs, 'encoder_hidden_states') }),
    };

    const lossTol = (l: number) => 2 * Math.sqrt(l) * tolPred + tolPred * tolPred;
    const checkLoss = (what: string, got: { loss: number; instanceLoss: number; priorLoss: number }, want: [number, number, number]) => {
      const [total, inst, prior] = want;
      assert.ok(Math.abs(got.instanceLoss - inst) <= lossTol(inst), `${what} instance: ${got.instanceLoss} vs ${inst}`);
      assert.ok(Math.abs(got.priorLoss - prior) <= lossTol(prior), `${what} prior: ${got.priorLoss} vs ${prior}`);
      assert.ok(Math.abs(got.loss - total) <= lossTol(inst) + lossTol(prior), `${what} total: ${got.loss} vs ${total}`);
    };

    const s1 = await trainer.run(batch, lr);
    checkLoss('step 1 loss', s1, c.loss_step1);
    const n = trainer.params.reduce((a, p) => a + p.shape.reduce((x, d) => x * d, 1), 0);
    const relTol = tolPred / 1; // predictions are O(1): the forward's relative float32 error
    assert.ok(Math.abs(s1.gradNorm! - c.grad_norm_step1) <= relTol * c.grad_norm_step1 + Math.sqrt(n) * 1e-9, `step 1 gradient norm ${s1.gradNorm} vs ${c.grad_norm_step1}`);
    assert.ok(c.grad_norm_step1 > c.max_grad_norm, 'the fixture clips');
    const clip = Math.min(1, c.max_grad_norm / (c.grad_norm_step1 + 1e-6));
    const w1 = (await trainer.state()).weights;

    const watched: [refName: string, ours: Float32Array, oursAfter: Float32Array, rows?: number[]][] = c.params.map((k) => [k, s1.grads!.get(paramOf(k)!)!, w1.get(paramOf(k)!)!]);
    if (c.full_text_encoder) {
      const p = `${TEXT_ENCODER_SCOPE}.${TOKEN_EMB}`;
      watched.push([TOKEN_EMB, s1.grads!.get(p)!, w1.get(p)!, ref.token_rows]);
    }
    assert.ok(watched.length >= 6, 'the fixture watches parameters');
    for (const [k, g, w, rows] of watched) {
      assert.ok(g && w, `${k}: trained and given a gradient`);
      const pick = (x: Float32Array, refX: Float32Array) => {
        if (!rows) return x;
        const h = refX.length / rows.length;
        const out = new Float32Array(refX.length);
        rows.forEach((r, i) => out.set(x.subarray(r * h, (r + 1) * h), i * h));
        return out;
      };
      const refKey = (what: 'grad' | 'after1') => (rows ? `${name}/rows/${what}/${k}` : `${name}/${what}/${k}`);
      const gRef = await get(tensors, refKey('grad'));
      const gOurs = pick(g, gRef).map((v) => v * clip);
      const dg = relTol * maxAbs(gRef) + 1e-12;
      for (let i = 0; i < gRef.length; i++) assert.ok(Math.abs(gOurs[i]! - gRef[i]!) <= dg, `${k} gradient [${i}]: ${gOurs[i]} vs ${gRef[i]} (tol ${dg})`);
      const wRef = await get(tensors, refKey('after1'));
      const wOurs = pick(w, wRef);
      for (let i = 0; i < wRef.length; i++) {
        const tol = lr * Math.min(2, (2 * dg) / Math.max(eps, Math.abs(gRef[i]!))) + 64 * 2 ** -23 * Math.abs(wRef[i]!);
        assert.ok(Math.abs(wOurs[i]! - wRef[i]!) <= tol, `${k} after step 1 [${i}]: ${wOurs[i]} vs ${wRef[i]} (tol ${tol})`);
      }
    }

    const s2 = await trainer.run(batch, lr);
    // After one update the step-2 loss also carries the weights' tolerance; it still moved by far more.
    const moved = Math.abs(c.loss_step1[0] - c.loss_step2[0]);
    assert.ok(Math.abs(s2.loss - c.loss_step2[0]) <= 0.02 * moved + lossTol(c.loss_step2[0]), `step 2 loss ${s2.loss} vs ${c.loss_step2[0]} (step 1 ${c.loss_step1[0]})`);
  } finally {
    await trainer.close();
  }
}

test('full fine-tuning of the UNet matches diffusers + torch AdamW (two steps, clipped)', () => runCase('full_unet'));
test('full fine-tuning of the UNet and the text encoder matches train_dreambooth.py --train_text_encoder', () => runCase('full_unet_te'));
test('UNet LoRA with clipping that bites matches train_dreambooth_lora.py (peft)', () => runCase('lora_unet'));
test('UNet + text-encoder LoRA matches train_dreambooth_lora.py --train_text_encoder (peft)', () => runCase('lora_unet_te'));
