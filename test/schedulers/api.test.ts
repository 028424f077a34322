import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createScheduler } from '../../sidecar/schedulers/index';
import { SAMPLERS } from '../../protocol/vocabulary';
import { DdimScheduler } from '../../sidecar/schedulers/ddim';
import { PndmScheduler } from '../../sidecar/schedulers/pndm';
import { EulerScheduler } from '../../sidecar/schedulers/euler';
import { EulerAncestralScheduler } from '../../sidecar/schedulers/euler-ancestral';
import { DpmSolverMultistepScheduler } from '../../sidecar/schedulers/dpm-solver-multistep';
import { SchedulerStateError } from '../../sidecar/schedulers/scheduler';
import { TINY, INDEX } from './fixture';
import type { SchedulerConfig } from '../../sidecar/schedulers/config';

const sdConfig = JSON.parse(readFileSync(join(TINY, 'scheduler/scheduler_config.json'), 'utf8')) as SchedulerConfig;

test('createScheduler builds each sampler from the SD 1.x scheduler_config.json, as from_config does', () => {
  const expected = { ddim: DdimScheduler, pndm: PndmScheduler, euler: EulerScheduler, euler_a: EulerAncestralScheduler, dpmpp_2m: DpmSolverMultistepScheduler, dpmpp_2m_karras: DpmSolverMultistepScheduler };
  const timestepsOf = (name: string): number[] => (INDEX.cases.find((c) => c.name === name) as unknown as { timesteps: number[] }).timesteps;
  const reference = { ddim: 'scheduler_ddim', pndm: 'scheduler_pndm', euler: 'scheduler_euler', euler_a: 'scheduler_euler_ancestral', dpmpp_2m: 'scheduler_dpmpp_2m', dpmpp_2m_karras: 'scheduler_dpmpp_2m_karras' };
  for (const name of SAMPLERS) {
    const s = createScheduler(name, sdConfig);
    assert.ok(s instanceof expected[name], name);
    s.setTimesteps(10);
    assert.deepEqual([...s.timesteps], timestepsOf(reference[name]), `${name} timesteps`);
  }
  assert.throws(() => createScheduler('heun' as never, sdConfig), /unknown sampler "heun"/);
});

test('step and scaleModelInput refuse to run before setTimesteps', () => {
  const x = new Float32Array(16);
  for (const name of SAMPLERS) {
    const s = createScheduler(name, sdConfig);
    assert.throws(() => s.step(x, 999, x, { randn: () => new Float32Array(16) }), SchedulerStateError, name);
  }
  const e = createScheduler('euler', sdConfig);
  assert.throws(() => e.scaleModelInput(x, 999), SchedulerStateError);
});

test('bad configs and inputs are reported clearly', () => {
  assert.throws(() => createScheduler('ddim', { ...sdConfig, beta_schedule: 'exotic' as never }), /beta_schedule = "exotic" is not one of linear, scaled_linear, squaredcos_cap_v2/);
  assert.throws(() => createScheduler('dpmpp_2m', { ...sdConfig, solver_order: 3 }), /solver_order/);
  assert.throws(() => new PndmScheduler({ ...sdConfig, skip_prk_steps: false }), /PLMS/);
  const s = createScheduler('ddim', sdConfig);
  assert.throws(() => s.setTimesteps(0), RangeError);
  s.setTimesteps(10);
  assert.throws(() => s.step(new Float32Array(4), 901, new Float32Array(8)), /4 values but the sample has 8/);
  const a = createScheduler('euler_a', sdConfig);
  a.setTimesteps(10);
  assert.throws(() => a.step(new Float32Array(4), 999, new Float32Array(4)), /noise source/);
});

test('squaredcos_cap_v2 and linear schedules: ᾱ decreasing in (0, 1), cosine ᾱ_t close to its closed form', () => {
  const cos = new DdimScheduler({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
  const f = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  for (const t of [0, 100, 500, 900]) {
    assert.ok(Math.abs(cos.alphasCumprod[t]! - f((t + 1) / 1000) / f(0)) < 1e-5, `t=${t}`);
  }
  const lin = new DdimScheduler({ beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 });
  for (let t = 1; t < 1000; t++) assert.ok(lin.alphasCumprod[t]! < lin.alphasCumprod[t - 1]!);
  // DDPM paper's linear schedule: ᾱ_T ≈ 4.0e-5 (Ho et al. 2020, §4)
  assert.ok(Math.abs(lin.alphasCumprod[999]! - 4.04e-5) < 0.1e-5, `${lin.alphasCumprod[999]}`);
});

test('spacing helpers follow numpy (round half to even, arange stepping)', async () => {
  const { roundHalfEven, spacedTimesteps, karrasSigmas } = await import('../../sidecar/schedulers/spacing');
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, 2.4].map(roundHalfEven), [0, 2, 2, -0, 2]);
  assert.deepEqual(spacedTimesteps('linspace', 1000, 4, 0), [999, 666, 333, 0]);
  assert.deepEqual(spacedTimesteps('leading', 1000, 4, 1), [751, 501, 251, 1]);
  // np.round(np.arange(1000, 0, -1000/3)) - 1 = [1000, 667, 333] - 1
  assert.deepEqual(spacedTimesteps('trailing', 1000, 3, 0), [999, 666, 332]);
  const k = karrasSigmas(0.03, 14.6, 5);
  assert.ok(Math.abs(k[0]! - 14.6) < 1e-12 && Math.abs(k[4]! - 0.03) < 1e-12);
  for (let i = 1; i < k.length; i++) assert.ok(k[i]! < k[i - 1]!);
});
