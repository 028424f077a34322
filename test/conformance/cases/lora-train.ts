// Conformance of LoRA training against the reference run in a fixture folder (kind `lora_train`,
// fixtures/tiny-sd: diffusers' train_dreambooth_lora.py semantics with peft and torch AdamW):
// predictions before/after each step, the losses, the gradients, the weights after steps 1 and 2,
// and the clipped variant. Everything runs through the real training-step graph and trainer.
//
// Tolerances come from the reference data, never from our outputs:
//  - predictions: HINT_FACTOR × the fixture's largest UNet fp64_max_abs_diff hint (float32 noise of
//    the same network), as the inference cases;
//  - a loss L = mean(d²): |δL| ≤ 2·√L·max|δd| + max|δd|² (Cauchy–Schwarz) with δd the prediction tolerance;
//  - gradients: the prediction tolerance relative to the prediction's scale, applied to the
//    gradients' scale (max|g_ref|): float32 noise of the backward is of the forward's relative size;
//  - weights, per element: AdamW moves an element by lr·m̂/(√v̂+ε), a ratio of size ≤ ~1 whose error
//    from a gradient error δg is ≲ 2·δg/|g| (|g| the reference gradient of that element, floored at
//    ε; no more than the full swing 2 per step), plus float32 rounding of the weight itself
//    (64 ulps of |w|). The check reports the largest |ours − ref| / tolerance over all elements
//    (pass when ≤ 1), so an element with a large, well-determined gradient is held tight while one
//    whose gradient is at the noise level may flip.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Check, type CaseResult, hintTolerance, maxAbsDiff, verdict } from './compare';
import { parsePythonJson } from './context';
import { SdModel } from '../../../sidecar/pipeline/sd-model';
import { openRuntime, type Runtime } from '../../../sidecar/runtime/runtime';
import { readSafetensorsIndex, readTensorF32, type StIndex } from '../../../sidecar/weights/safetensors';
import { kohyaNameMap, readTrainState } from '../../../sidecar/training/state-file';
import { Trainer, type StepBatch } from '../../../sidecar/training/trainer';

/** The fields of a `lora_train` case this runner uses (see fixtures/tiny-sd/index.json). */
export interface LoraTrainCase {
  name: string;
  kind: 'lora_train';
  file: string;
  rank: number;
  alpha: number;
  target_modules: string[];
  prior_loss_weight: number;
  prediction_type: string;
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  loss_step1: { total: number; instance: number; prior: number };
  loss_step2: { total: number; instance: number; prior: number };
  grad_global_norm_step1?: number;
  clipped_variant?: { max_grad_norm: number; grad_norm_returned: number; file: string };
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

interface Fixture {
  pipeline_dir?: string;
  cases: { kind: string; fp64_max_abs_diff?: number }[];
}

const first = (d: string) => d.split(' ')[0]!;

async function readAll(path: string): Promise<Map<string, Float32Array>> {
  const idx: StIndex = await readSafetensorsIndex(path);
  const out = new Map<string, Float32Array>();
  for (const k of idx.tensors.keys()) out.set(k, (await readTensorF32(idx, k)).data);
  return out;
}

function maxAbs(xs: Iterable<Float32Array>): number {
  let m = 0;
  for (const x of xs) for (const v of x) m = Math.max(m, Math.abs(v));
  return m;
}
const ULP_BUDGET = 64;
const F32_EPS = 2 ** -23;

/** Worst error over a set of tensors keyed alike (ours by graph name → kohya key via `names`). */
function setErr(ours: Map<string, Float32Array>, ref: Map<string, Float32Array>, names: Map<string, string>, what: string): number {
  let m = 0;
  for (const [param, key] of names) {
    const r = ref.get(key);
    if (!r) throw new Error(`${what}: reference has no "${key}"`);
    m = Math.max(m, maxAbsDiff(ours.get(param)!, r, `${what} ${key}`));
  }
  return m;
}

export async function runLoraTrainCase(dir: string, c: LoraTrainCase, opts: { runtime?: Runtime; cacheDir?: string } = {}): Promise<CaseResult> {
  const index = parsePythonJson(await readFile(join(dir, 'index.json'), 'utf8')) as Fixture;
  const hints = index.cases.filter((x) => x.kind === 'unet' && typeof x.fp64_max_abs_diff === 'number').map((x) => x.fp64_max_abs_diff!);
  if (!hints.length) throw new Error(`${dir}/index.json: no unet case with an fp64_max_abs_diff hint to take the tolerance from`);
  if (c.prediction_type !== 'epsilon') return { status: 'skip', reason: `prediction_type ${c.prediction_type}: this runner feeds the noise as target` };
  const tolPred = hintTolerance(Math.max(...hints));

  const file = join(dir, c.file);
  const t = async (name: string) => {
    const idx = await readSafetensorsIndex(file);
    return readTensorF32(idx, name);
  };
  const noisy = await t(first(c.inputs.noisy_latents!));
  const noise = await t(first(c.inputs.noise!));
  const context = await t(first(c.inputs.encoder_hidden_states!));
  const timesteps = Array.from((await t(first(c.inputs.timesteps!))).data);
  const [batch, , height, width] = noisy.shape as [number, number, number, number];
  if (batch !== 2) throw new Error(`${c.name}: expected a batch of [instance, class], got ${batch} items`);
  const step: StepBatch = { noisyLatents: noisy.data, timesteps, context: context.data, target: noise.data };
  const lr = c.optimizer.lr;
  const adam = { beta1: c.optimizer.betas[0], beta2: c.optimizer.betas[1], eps: c.optimizer.eps, weightDecay: c.optimizer.weight_decay };
  const lora = { rank: c.rank, alpha: c.alpha, targets: c.target_modules };
  const out = (k: string) => join(dir, c.outputs[k]!.split(' ')[0]!);

  const runtime = opts.runtime ?? (await openRuntime({ providers: ['cpu'] }));
  const model = await SdModel.open(join(dir, index.pipeline_dir ?? '.'), runtime, { cacheDir: opts.cacheDir });
  const checks: Check[] = [];
  const trainers: Trainer[] = [];
  try {
    const predCheck = (what: string, got: Float32Array, ref: Float32Array) => checks.push({ what, err: maxAbsDiff(got, ref, what), tol: tolPred });
    const lossChecks = (what: string, got: { loss: number; instanceLoss: number; priorLoss: number }, ref: LoraTrainCase['loss_step1']) => {
      const tl = (l: number) => 2 * Math.sqrt(l) * tolPred + tolPred * tolPred;
      checks.push({ what: `${what}.instance`, err: Math.abs(got.instanceLoss - ref.instance), tol: tl(ref.instance) });
      checks.push({ what: `${what}.prior`, err: Math.abs(got.priorLoss - ref.prior), tol: tl(ref.prior) });
      checks.push({ what: `${what}.total`, err: Math.abs(got.loss - ref.total), tol: tl(ref.instance) + c.prior_loss_weight * tl(ref.prior) });
    };

    const base = await t('model_pred_base');
    predCheck('model_pred_base', (await model.unet(noisy.data, timesteps, context.data, { batch, height, width })).noise_pred!, base.data);
    const predScale = maxAbs([base.data]);

    const trainer = await Trainer.open(model, { instanceBatch: 1, classBatch: 1, height, width, contextLength: context.shape[1], lora, priorLossWeight: c.prior_loss_weight, adam, outputGrads: true }, { cacheDir: opts.cacheDir });
    trainers.push(trainer);
    const names = kohyaNameMap(trainer.spec.modules);
    const init = await readTrainState(join(dir, first(c.inputs.lora_weights!)), trainer.spec);
    await trainer.setState({ weights: init.weights, step: 0 });

    const [g1, g2] = [await readAll(out('grads_step1')), await readAll(out('grads_step2'))];
    const tolGrad = (g: Map<string, Float32Array>) => (tolPred / predScale) * maxAbs(g.values());
    /** Largest |ours − ref| / (per-element tolerance) over every weight (see the header). */
    const weightCheck = (what: string, ours: Map<string, Float32Array>, ref: Map<string, Float32Array>, gs: Map<string, Float32Array>[], dg: number): Check => {
      let ratio = 0;
      for (const [param, key] of names) {
        const a = ours.get(param)!;
        const r = ref.get(key);
        if (!r || r.length !== a.length) throw new Error(`${what}: reference "${key}" missing or of another size`);
        const grads = gs.map((g) => g.get(key)!);
        for (let i = 0; i < r.length; i++) {
          const gmin = Math.max(adam.eps, Math.min(...grads.map((g) => Math.abs(g[i]!))));
          const tol = grads.length * lr * Math.min(2, (2 * dg) / gmin) + ULP_BUDGET * F32_EPS * Math.abs(r[i]!);
          const d = Math.abs(a[i]! - r[i]!);
          ratio = Math.max(ratio, Number.isNaN(d) ? Infinity : d / tol);
        }
      }
      return { what: `${what} (err/tol per element)`, err: ratio, tol: 1 };
    };

    const s1 = await trainer.run(step, lr);
    predCheck('model_pred_step1', s1.pred, (await t('model_pred_step1')).data);
    lossChecks('loss_step1', s1, c.loss_step1);
    checks.push({ what: 'grads_step1', err: setErr(s1.grads!, g1, names, 'grads_step1'), tol: tolGrad(g1) });
    const w1 = (await trainer.state()).weights;
    checks.push(weightCheck('weights_after_step1', w1, await readAll(out('weights_after_step1')), [g1], tolGrad(g1)));

    const s2 = await trainer.run(step, lr);
    predCheck('model_pred_step2', s2.pred, (await t('model_pred_step2')).data);
    lossChecks('loss_step2', s2, c.loss_step2);
    checks.push({ what: 'grads_step2', err: setErr(s2.grads!, g2, names, 'grads_step2'), tol: tolGrad(g2) });
    const w2 = (await trainer.state()).weights;
    const dg2 = Math.max(tolGrad(g1), tolGrad(g2));
    checks.push(weightCheck('weights_after_step2', w2, await readAll(out('weights_after_step2')), [g1, g2], dg2));

    if (c.clipped_variant) {
      const cv = c.clipped_variant;
      const clipped = await Trainer.open(model, { instanceBatch: 1, classBatch: 1, height, width, contextLength: context.shape[1], lora, priorLossWeight: c.prior_loss_weight, adam: { ...adam, maxGradNorm: cv.max_grad_norm } }, { cacheDir: opts.cacheDir });
      trainers.push(clipped);
      await clipped.setState({ weights: init.weights, step: 0 });
      const r = await clipped.run(step, lr);
      const norm = cv.grad_norm_returned;
      // ‖δg‖₂ ≤ √n·max|δg| over all n gradient elements.
      const n = [...g1.values()].reduce((a, x) => a + x.length, 0);
      checks.push({ what: 'clipped.grad_norm', err: Math.abs(r.gradNorm! - norm), tol: Math.sqrt(n) * tolGrad(g1) });
      const wc = (await clipped.state()).weights;
      const gScaled = new Map([...g1].map(([k, v]) => [k, v.map((x) => x * Math.min(1, cv.max_grad_norm / (norm + 1e-6)))] as const));
      checks.push(weightCheck('weights_after_step1_clipped', wc, await readAll(join(dir, cv.file)), [gScaled], tolGrad(gScaled)));
    }
  } finally {
    for (const tr of trainers) await tr.close();
    await model.close();
    if (!opts.runtime) await runtime.close();
  }
  return verdict(checks);
}
