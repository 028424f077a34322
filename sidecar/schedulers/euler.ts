// Euler sampler: Karras, Aittala, Aila & Laine, "Elucidating the Design Space of Diffusion-Based
// Generative Models" (2022), Algorithm 2 with S_churn = 0 (diffusers' EulerDiscreteScheduler):
//   x_σ = x₀ + σ·ε,   the network sees x / √(σ² + 1)  (the VP-scaled input)
//   x̂₀ = x − σ·ε̂,    d = (x − x̂₀)/σ,    x_{σ_next} = x + (σ_next − σ)·d.
// Stochastic churn (s_churn > 0) is not implemented.

import { alphasCumprod, makeBetas, trainSigmas } from './betas';
import { bool, resolveCommon, type CommonConfig, type SchedulerConfig } from './config';
import { checkSameLength, checkSteps, indexOfTimestep, requireTimesteps, type Scheduler, type StepResult } from './scheduler';
import { eulerSchedule } from './sigma-schedule';
import { sigmaX0 } from './sigma-prediction';

export class EulerScheduler implements Scheduler {
  readonly name: string = 'EulerDiscreteScheduler';
  readonly config: CommonConfig & { use_karras_sigmas: boolean };
  readonly trainSigmas: Float64Array;
  timesteps: number[] = [];
  sigmas: number[] = [];
  protected stepIndex: number | undefined;

  constructor(cfg: SchedulerConfig = {}, allowKarras = true) {
    this.config = { ...resolveCommon(cfg, 'linspace'), use_karras_sigmas: allowKarras && bool(cfg, 'use_karras_sigmas', false) };
    this.trainSigmas = trainSigmas(alphasCumprod(makeBetas(this.config)));
  }

  get initNoiseSigma(): number {
    const max = this.sigmas.length ? Math.max(...this.sigmas) : Math.max(...this.trainSigmas);
    return this.config.timestep_spacing === 'leading' ? Math.sqrt(max * max + 1) : max;
  }

  setTimesteps(n: number): void {
    checkSteps(this.name, n, this.config.num_train_timesteps);
    ({ timesteps: this.timesteps, sigmas: this.sigmas } = eulerSchedule(this.config, this.trainSigmas, n, this.config.use_karras_sigmas));
    this.stepIndex = undefined;
  }

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmas[this.currentIndex(timestep)]!;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    return sample.map((x) => x * scale);
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): StepResult {
    checkSameLength(this.name, modelOutput, sample);
    const i = this.currentIndex(timestep);
    const sigma = this.sigmas[i]!;
    const dt = this.sigmas[i + 1]! - sigma;
    const prev = new Float32Array(sample.length);
    const x0s = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      const x = sample[k]!;
      const x0 = sigmaX0(this.config.prediction_type, sigma, modelOutput[k]!, x);
      x0s[k] = x0;
      prev[k] = x + ((x - x0) / sigma) * dt;
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: x0s };
  }

  /** Step index: found from the timestep on first use, then counted (diffusers' _init_step_index). */
  protected currentIndex(timestep: number): number {
    requireTimesteps(this.name, this.timesteps);
    this.stepIndex ??= indexOfTimestep(this.timesteps, timestep);
    if (this.stepIndex >= this.timesteps.length) throw new RangeError(`${this.name}: step() called more times than there are timesteps (${this.timesteps.length})`);
    return this.stepIndex;
  }
}
