// One entry point: a sampler by its concept-file name, configured from the model's
// scheduler_config.json (diffusers field names; see config.ts).

import type { SamplerName } from '../../protocol/vocabulary';
import type { SchedulerConfig } from './config';
import { DdimScheduler } from './ddim';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep';
import { EulerScheduler } from './euler';
import { EulerAncestralScheduler } from './euler-ancestral';
import { PndmScheduler } from './pndm';
import type { Scheduler } from './scheduler';

export type { Scheduler, StepResult, NoiseSource } from './scheduler';
export type { SchedulerConfig } from './config';
export { DdpmScheduler } from './ddpm';

const FACTORIES: Record<SamplerName, (cfg: SchedulerConfig) => Scheduler> = {
  ddim: (cfg) => new DdimScheduler(cfg),
  // SD 1.x configs say skip_prk_steps: true; PLMS is the only PNDM variant implemented
  pndm: (cfg) => new PndmScheduler({ skip_prk_steps: true, ...cfg }),
  euler: (cfg) => new EulerScheduler(cfg),
  euler_a: (cfg) => new EulerAncestralScheduler(cfg),
  dpmpp_2m: (cfg) => new DpmSolverMultistepScheduler({ ...cfg, use_karras_sigmas: false }),
  dpmpp_2m_karras: (cfg) => new DpmSolverMultistepScheduler({ ...cfg, use_karras_sigmas: true }),
};

/**
 * A scheduler for `name`, configured like diffusers' `<Class>.from_config(config)`: keys the class
 * does not know are ignored, missing keys take the class defaults.
 */
export function createScheduler(name: SamplerName, config: SchedulerConfig = {}): Scheduler {
  const make = FACTORIES[name];
  if (!make) throw new RangeError(`unknown sampler "${String(name)}"; known: ${Object.keys(FACTORIES).join(', ')}`);
  return make(config);
}
