// DDPM forward process and v-prediction cases of fixtures/tiny-sd (tolerances as in schedulers.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EPS32, INDEX, Tensors, maxAbs, maxDiff } from './fixture';
import { DdpmScheduler } from '../../sidecar/schedulers/ddpm';
import { DdimScheduler } from '../../sidecar/schedulers/ddim';
import { EulerScheduler } from '../../sidecar/schedulers/euler';
import type { SchedulerConfig } from '../../sidecar/schedulers/config';

const K_STEP = 8;

function close(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  const err = maxDiff(got, want);
  assert.ok(err <= tol, `${what}: max |error| ${err.toExponential(3)} > tolerance ${tol.toExponential(3)}`);
}

const addNoiseCase = INDEX.cases.find((c) => c.name === 'ddpm_add_noise') as unknown as {
  resolved_config: SchedulerConfig;
  timesteps: number[];
};
const vpred = INDEX.cases.find((c) => c.name === 'vpred') as unknown as {
  ddim: { config: SchedulerConfig; num_inference_steps: number; timestep: number };
  euler: { config: SchedulerConfig; num_inference_steps: number; timestep: number; step_index: number; sigma: number };
  velocity_target: { timesteps: number[] };
};

test('DDPM betas and alphas_cumprod equal the reference float32 tables', async () => {
  const t = await Tensors.open('cases/schedulers.safetensors');
  const s = new DdpmScheduler(addNoiseCase.resolved_config);
  // reproduced bit for bit (torch.linspace's float32 arithmetic and a double-accumulated cumprod)
  assert.deepEqual(Array.from(s.betas), Array.from(await t.get('ddpm.betas')));
  assert.deepEqual(Array.from(s.alphasCumprod), Array.from(await t.get('ddpm.alphas_cumprod')));
});

test('DDPM add_noise and get_velocity', async () => {
  const t = await Tensors.open('cases/schedulers.safetensors');
  const s = new DdpmScheduler(addNoiseCase.resolved_config);
  const x0 = await t.get('ddpm.add_noise.original');
  const noise = await t.get('ddpm.add_noise.noise');
  assert.deepEqual(Array.from(await t.get('ddpm.add_noise.timesteps')), addNoiseCase.timesteps);
  const scale = Math.max(maxAbs(x0), maxAbs(noise));
  close('noisy', s.addNoise(x0, noise, addNoiseCase.timesteps), await t.get('ddpm.add_noise.noisy'), K_STEP * EPS32 * scale);
  close('velocity', s.getVelocity(x0, noise, addNoiseCase.timesteps), await t.get('ddpm.get_velocity'), K_STEP * EPS32 * scale);
  assert.throws(() => s.addNoise(x0, noise, [0, 1, 2]), /do not split/);
  assert.throws(() => s.addNoise(x0, noise, [0, 1, 2, 1000]), /outside/);
});

test('v-prediction: DDIM step, Euler step and the velocity target', async () => {
  const t = await Tensors.open('cases/unet.safetensors');
  const sample = await t.get('sample');

  const ddim = new DdimScheduler(vpred.ddim.config);
  ddim.setTimesteps(vpred.ddim.num_inference_steps);
  const mo = await t.get('vpred.ddim.model_output');
  const r = ddim.step(mo, vpred.ddim.timestep, sample);
  const scale = Math.max(maxAbs(sample), maxAbs(mo));
  close('ddim prev_sample', r.prevSample, await t.get('vpred.ddim.prev_sample'), K_STEP * EPS32 * scale);
  close('ddim pred_original_sample', r.predOriginalSample!, await t.get('vpred.ddim.pred_original_sample'), K_STEP * EPS32 * scale);

  const euler = new EulerScheduler(vpred.euler.config);
  euler.setTimesteps(vpred.euler.num_inference_steps);
  assert.equal(euler.timesteps[vpred.euler.step_index], vpred.euler.timestep);
  assert.ok(Math.abs(euler.sigmas[vpred.euler.step_index]! - vpred.euler.sigma) <= EPS32 * vpred.euler.sigma);
  const x = await t.get('vpred.euler.sample');
  const emo = await t.get('vpred.euler.model_output');
  const escale = Math.max(maxAbs(x), maxAbs(emo));
  close('euler scaled_model_input', euler.scaleModelInput(x, vpred.euler.timestep), await t.get('vpred.euler.scaled_model_input'), K_STEP * EPS32 * escale);
  const er = euler.step(emo, vpred.euler.timestep, x);
  close('euler prev_sample', er.prevSample, await t.get('vpred.euler.prev_sample'), K_STEP * EPS32 * escale);
  close('euler pred_original_sample', er.predOriginalSample!, await t.get('vpred.euler.pred_original_sample'), K_STEP * EPS32 * escale);

  const noise = await t.get('vpred.velocity.noise');
  const v = new DdpmScheduler(addNoiseCase.resolved_config).getVelocity(sample, noise, vpred.velocity_target.timesteps);
  close('velocity target', v, await t.get('vpred.velocity.target'), K_STEP * EPS32 * Math.max(maxAbs(sample), maxAbs(noise)));
});
