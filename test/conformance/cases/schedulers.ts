// Conformance of the samplers (one step at a time along the reference trajectory), DDPM's forward
// process, and v-prediction (UNet output fed to DDIM and Euler steps configured for v_prediction).
import type { SamplerName } from '../../../protocol/vocabulary';
import { createScheduler, DdpmScheduler, type SchedulerConfig } from '../../../sidecar/schedulers';
import { type CaseContext, type CaseHandler, type CaseSpec, keyOf } from './context';
import { type Check, hintTolerance, maxAbsDiff, ulpTolerance, verdict } from './compare';

/** diffusers class (+ config) → our sampler name. */
export function samplerOf(cls: string, cfg: SchedulerConfig): SamplerName {
  switch (cls) {
    case 'DDIMScheduler':
      return 'ddim';
    case 'PNDMScheduler':
      return 'pndm';
    case 'EulerDiscreteScheduler':
      return 'euler';
    case 'EulerAncestralDiscreteScheduler':
      return 'euler_a';
    case 'DPMSolverMultistepScheduler':
      return cfg.use_karras_sigmas ? 'dpmpp_2m_karras' : 'dpmpp_2m';
    default:
      throw new Error(`no sampler for diffusers class "${cls}"`);
  }
}

function check(checks: Check[], what: string, got: Float32Array, ref: Float32Array, extraTol = 0): void {
  checks.push({ what, err: maxAbsDiff(got, ref, what), tol: ulpTolerance(ref) + extraTol });
}

export const scheduler: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const cfg = spec.resolved_config as SchedulerConfig;
  const s = createScheduler(samplerOf(String(spec.class), cfg), cfg);
  const n = spec.num_inference_steps as number;
  s.setTimesteps(n);
  const prefix = (spec.tensors as string[])[0]!.split('.')[0]!;
  const get = (k: string) => ctx.tensor(file, `${prefix}.${k}`);
  const has = (k: string) => (spec.tensors as string[]).includes(`${prefix}.${k}`);
  const checks: Check[] = [];
  check(checks, 'timesteps', Float32Array.from(s.timesteps), (await get('timesteps')).data);
  check(checks, 'init_noise_sigma', Float32Array.of(s.initNoiseSigma), Float32Array.of(spec.init_noise_sigma as number));
  const x0 = await get('x_init');
  const mo = await get('model_output');
  const prev = await get('prev_sample');
  const scaled = await get('scaled_model_input');
  const pred = has('pred_original_sample') ? await get('pred_original_sample') : undefined;
  const noise = has('step_noise') ? await get('step_noise') : undefined;
  const size = x0.data.length;
  const at = (t: { data: Float32Array }, i: number) => t.data.subarray(i * size, (i + 1) * size);
  let x = x0.data;
  const steps = s.timesteps.length;
  for (let i = 0; i < steps; i++) {
    const t = s.timesteps[i]!;
    check(checks, `scaled_model_input[${i}]`, s.scaleModelInput(x, t), at(scaled, i));
    const stepNoise = noise ? { randn: () => at(noise, i).slice() } : undefined;
    const r = s.step(at(mo, i), t, x, stepNoise);
    check(checks, `prev_sample[${i}]`, r.prevSample, at(prev, i));
    if (pred && r.predOriginalSample) check(checks, `pred_original_sample[${i}]`, r.predOriginalSample, at(pred, i));
    x = r.prevSample;
  }
  return verdict(checks, `${steps} steps`);
};

export const addNoise: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const ddpm = new DdpmScheduler(ctx.index.configs?.scheduler ?? {});
  const i = spec.inputs as Record<string, string>;
  const o = spec.outputs as Record<string, string>;
  const original = await ctx.tensor(file, keyOf(i.original_samples));
  const noise = await ctx.tensor(file, keyOf(i.noise));
  const ts = Array.from((await ctx.tensor(file, keyOf(i.timesteps))).data);
  const checks: Check[] = [];
  const ref = async (k: string) => (await ctx.tensor(file, keyOf(o[k]))).data;
  check(checks, 'noisy_samples', ddpm.addNoise(original.data, noise.data, ts), await ref('noisy_samples'));
  check(checks, 'velocity', ddpm.getVelocity(original.data, noise.data, ts), await ref('velocity'));
  check(checks, 'betas', Float32Array.from(ddpm.betas), await ref('betas'));
  check(checks, 'alphas_cumprod', Float32Array.from(ddpm.alphasCumprod), await ref('alphas_cumprod'));
  return verdict(checks);
};

async function unetAt(ctx: CaseContext, file: string, sample: Float32Array, shape: number[], t: number, contextKey: string): Promise<Float32Array> {
  const context = await ctx.tensor(file, contextKey);
  const [batch, , height, width] = shape as [number, number, number, number];
  const out = await (await ctx.model()).unet(sample, Array(batch).fill(t), context.data, { batch, height, width });
  return out.noise_pred!;
}

/**
 * v-prediction: the network is the same, only the schedulers interpret its output differently. The
 * UNet output is checked with the UNet cases' hint; the step results with that plus float32 ulps.
 */
export const vPrediction: CaseHandler = async (spec: CaseSpec, ctx) => {
  const file = spec.file!;
  const unetHint = ctx.hintOf('unet');
  if (unetHint === undefined) throw new Error('no unet case with an fp64_max_abs_diff hint to take the tolerance from');
  const netTol = hintTolerance(unetHint);
  const checks: Check[] = [];
  for (const part of ['ddim', 'euler'] as const) {
    const p = spec[part] as Record<string, unknown> | undefined;
    if (!p) continue;
    const cfg = p.config as SchedulerConfig;
    const s = createScheduler(part, cfg);
    s.setTimesteps(p.num_inference_steps as number);
    const ins = p.inputs as Record<string, string>;
    const outs = p.outputs as Record<string, string>;
    const sample = await ctx.tensor(file, keyOf(ins.sample));
    const t = p.timestep as number;
    let modelInput = sample.data;
    if (outs.scaled_model_input) {
      modelInput = s.scaleModelInput(sample.data, t);
      check(checks, `${part}.scaled_model_input`, modelInput, (await ctx.tensor(file, keyOf(outs.scaled_model_input))).data);
    }
    const mo = await unetAt(ctx, file, modelInput, sample.shape, t, keyOf(ins.encoder_hidden_states));
    checks.push({ what: `${part}.model_output`, err: maxAbsDiff(mo, (await ctx.tensor(file, keyOf(outs.model_output))).data, 'model_output'), tol: netTol });
    const r = s.step(mo, t, sample.data);
    check(checks, `${part}.prev_sample`, r.prevSample, (await ctx.tensor(file, keyOf(outs.prev_sample))).data, netTol);
    if (outs.pred_original_sample && r.predOriginalSample)
      check(checks, `${part}.pred_original_sample`, r.predOriginalSample, (await ctx.tensor(file, keyOf(outs.pred_original_sample))).data, netTol);
  }
  const v = spec.velocity_target as Record<string, unknown> | undefined;
  if (v) {
    const ins = v.inputs as Record<string, string>;
    const sample = await ctx.tensor(file, keyOf(ins.sample));
    const noise = await ctx.tensor(file, keyOf(ins.noise));
    const got = new DdpmScheduler((spec.ddim as { config?: SchedulerConfig } | undefined)?.config ?? {}).getVelocity(sample.data, noise.data, v.timesteps as number[]);
    check(checks, 'velocity_target', got, (await ctx.tensor(file, keyOf((v.outputs as Record<string, string>).velocity))).data);
  }
  return verdict(checks);
};
