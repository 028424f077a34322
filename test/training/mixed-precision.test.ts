// mixed_precision fp16 against reference steps of train_dreambooth_lora.py's fp16 path (float16 UNet,
// float32 LoRA masters, autocast, GradScaler; fixtures/train-steps/mixed-precision.*, made by
// fixtures/make/mixed_precision_steps.py): losses and unscaled gradient norms within float16 rounding,
// the adapters after one AdamW step, and the scaler's skip-and-back-off when the scaled loss overflows
// float16 (the reference skips those steps and halves the scale; so must we, leaving weights as they were).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePythonJson } from '../conformance/cases/context';
import { SdModel } from '../../sidecar/pipeline/sd-model';
import type { Runtime } from '../../sidecar/runtime/runtime';
import { readSafetensorsIndex, readTensorF32, type StIndex } from '../../sidecar/weights/safetensors';
import { fileKeys } from '../../sidecar/training/state-file';
import { baseValues } from '../../sidecar/training/step-weights';
import { Trainer } from '../../sidecar/training/trainer';
import { runtimeOn } from '../runtime/provider-under-test';
import { fixtureStep, type RefOptimizer } from '../helpers/train-fixture';

const TINY = 'fixtures/tiny-sd';
const DIR = 'fixtures/train-steps';

interface RefStep {
  loss: [number, number, number];
  grad_norm: number;
  scale: number;
  scale_after: number;
  skipped: boolean;
}
interface Ref {
  prior_loss_weight: number;
  max_grad_norm: number;
  optimizer: RefOptimizer;
  cases: { name: string; init_scale: number; steps: RefStep[]; params: string[] }[];
}

let ref: Ref;
let tensors: StIndex;
let starts: StIndex;
let inputs: StIndex;

before(async () => {
  ref = parsePythonJson(await readFile(join(DIR, 'mixed-precision.json'), 'utf8')) as Ref;
  tensors = await readSafetensorsIndex(join(DIR, 'mixed-precision.safetensors'));
  starts = await readSafetensorsIndex(join(DIR, 'train-steps.safetensors'));
  inputs = await readSafetensorsIndex(join(TINY, 'cases/lora_train.safetensors'));
});

const get = async (idx: StIndex, k: string) => (await readTensorF32(idx, k)).data;
const near = (got: number, want: number, rel: number, what: string) => assert.ok(Math.abs(got - want) <= rel * Math.abs(want), `${what}: ${got} vs ${want} (rel ${rel})`);

/** Runs a reference case's two steps; `rel` is the provider's float16 tolerance on losses and norms. */
async function runCase(runtime: Runtime, name: string, rel: number): Promise<void> {
  const c = ref.cases.find((x) => x.name === name)!;
  const model = await SdModel.open(TINY, runtime);
  const noisy = await readTensorF32(inputs, 'noisy_latents');
  const { lr } = ref.optimizer;
  const trainer = await Trainer.open(model, {
    ...fixtureStep(noisy.shape, ref, ref.max_grad_norm),
    unet: 'lora',
    lora: { rank: 4, alpha: 4, targets: ['to_q', 'to_k', 'to_v', 'to_out.0'] },
    mixedPrecision: 'fp16',
  });
  try {
    const byKey = new Map([...fileKeys(trainer.spec)].map(([param, key]) => [key, param]));
    const weights = await baseValues(model.checkpoint, trainer.spec);
    for (const [key, param] of byKey) weights.set(param, await get(starts, `lora_unet/init/${key}`));
    await trainer.setState({ weights, step: 0, lossScale: { scale: c.init_scale, growthTracker: 0, skipped: 0 } });
    const batch = {
      noisyLatents: noisy.data,
      timesteps: Array.from(await get(inputs, 'timesteps')),
      target: await get(inputs, 'noise'),
      context: await get(inputs, 'encoder_hidden_states'),
    };
    for (const [i, want] of c.steps.entries()) {
      const got = await trainer.run(batch, lr);
      const at = `${name} step ${i + 1}`;
      assert.equal(got.lossScale, want.scale, `${at}: the loss scale used`);
      assert.equal(got.skipped, want.skipped, `${at}: skipped`);
      near(got.loss, want.loss[0], rel, `${at} loss`);
      near(got.instanceLoss, want.loss[1], rel, `${at} instance loss`);
      near(got.priorLoss, want.loss[2], rel, `${at} prior loss`);
      if (want.skipped) assert.ok(Number.isNaN(got.gradNorm!), `${at}: an overflowed step's norm is not finite, as the reference's`);
      else near(got.gradNorm!, want.grad_norm, 10 * rel, `${at} gradient norm (unscaled)`);
      if (i > 0) continue;
      const after1 = (await trainer.state()).weights;
      let sumDiff = 0;
      let n = 0;
      let moved = 0;
      for (const key of c.params) {
        const param = byKey.get(key)!;
        const [w, wRef, w0] = [after1.get(param)!, await get(tensors, `${name}/after1/${key}`), await get(starts, `lora_unet/init/${key}`)];
        for (let j = 0; j < wRef.length; j++) {
          if (want.skipped) assert.equal(w[j], w0[j], `${key} [${j}]: a skipped step changes nothing`);
          // Adam's first step moves each weight by about lr·sign(g): a float16 sign flip of a tiny
          // gradient can move one by 2·lr, so the bound per weight is loose and the mean is tight.
          assert.ok(Math.abs(w[j]! - wRef[j]!) <= 2.1 * lr, `${key} after step 1 [${j}]: ${w[j]} vs ${wRef[j]}`);
          sumDiff += Math.abs(w[j]! - wRef[j]!);
          moved += Math.abs(wRef[j]! - w0[j]!);
          n++;
        }
      }
      if (!want.skipped) {
        assert.ok(moved / n > 0.5 * lr, `${at}: the reference moved the adapters (mean ${moved / n})`);
        assert.ok(sumDiff / n <= 0.05 * lr, `${at}: adapters after step 1 differ from the reference by ${sumDiff / n} on average (lr ${lr})`);
      }
    }
  } finally {
    await trainer.close();
    await model.close();
  }
}

for (const [provider, rel, cases] of [['cpu', 2e-4, ['fp16', 'fp16_overflow']], ['webgpu', 2e-3, ['fp16']]] as const) {
  test(`mixed_precision fp16 on ${provider}: LoRA steps match train_dreambooth_lora.py's float16 path${cases.length > 1 ? '; an overflow is skipped and halves the scale' : ''}`, async (t) => {
    const { rt, skip } = await runtimeOn(provider);
    if (!rt) return t.skip(skip);
    try {
      for (const name of cases) await runCase(rt, name, rel);
    } finally {
      await rt.close();
    }
  });
}

test('mixed_precision fp16 with every UNet and text-encoder weight trained: float32 masters cast per use; the step stays within float16 rounding of the float32 reference', async () => {
  const full = (parsePythonJson(await readFile(join(DIR, 'train-steps.json'), 'utf8')) as { cases: { name: string; max_grad_norm: number; loss_step1: number[]; grad_norm_step1: number }[] }).cases.find((c) => c.name === 'full_unet_te')!;
  const { rt } = await runtimeOn('cpu');
  const model = await SdModel.open(TINY, rt!);
  const noisy = await readTensorF32(inputs, 'noisy_latents');
  const ids = await get(inputs, 'instance_class_input_ids');
  const L = ids.length / 2;
  const { lr } = ref.optimizer;
  const trainer = await Trainer.open(model, {
    ...fixtureStep(noisy.shape, ref, full.max_grad_norm),
    unet: 'full',
    textEncoder: { config: model.checkpoint.textEncoder, mode: 'full' },
    mixedPrecision: 'fp16',
  });
  try {
    assert.ok(trainer.spec.params.every((p) => p.dtype === 'float32'), 'the trained weights are float32 masters');
    await trainer.setState({ weights: await baseValues(model.checkpoint, trainer.spec), step: 0 });
    const s1 = await trainer.run({ noisyLatents: noisy.data, timesteps: Array.from(await get(inputs, 'timesteps')), target: await get(inputs, 'noise'), inputIds: [Array.from(ids.subarray(0, L)), Array.from(ids.subarray(L))] }, lr);
    assert.equal(s1.skipped, false);
    near(s1.loss, full.loss_step1[0]!, 1e-3, 'step 1 loss');
    near(s1.gradNorm!, full.grad_norm_step1, 1e-2, 'step 1 gradient norm');
  } finally {
    await trainer.close();
    await model.close();
    await rt!.close();
  }
});
