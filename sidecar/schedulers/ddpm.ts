// The forward (noising) process of DDPM, Ho, Jain & Abbeel (2020), eq. 4, for training:
//   q(x_t | x₀):  x_t = √ᾱ_t · x₀ + √(1 − ᾱ_t) · ε
// and the v-prediction target of Salimans & Ho (2022), §4:  v_t = √ᾱ_t · ε − √(1 − ᾱ_t) · x₀.
// Batched: `timesteps[b]` applies to the b-th of timesteps.length equal slices of the flat tensors.

import { alphasCumprod, makeBetas } from './betas';
import { resolveCommon, type CommonConfig, type SchedulerConfig } from './config';

export class DdpmScheduler {
  readonly name = 'DDPMScheduler';
  readonly config: CommonConfig;
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;

  constructor(cfg: SchedulerConfig = {}) {
    this.config = resolveCommon(cfg, 'leading');
    this.betas = makeBetas(this.config);
    this.alphasCumprod = alphasCumprod(this.betas);
  }

  /** x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε per batch item. */
  addNoise(originalSamples: Float32Array, noise: Float32Array, timesteps: readonly number[]): Float32Array {
    return this.combine(originalSamples, noise, timesteps, (a, b, x0, eps) => a * x0 + b * eps);
  }

  /** v_t = √ᾱ_t·ε − √(1−ᾱ_t)·x₀ per batch item (the training target for v-prediction models). */
  getVelocity(sample: Float32Array, noise: Float32Array, timesteps: readonly number[]): Float32Array {
    return this.combine(sample, noise, timesteps, (a, b, x0, eps) => a * eps - b * x0);
  }

  private combine(x0: Float32Array, eps: Float32Array, timesteps: readonly number[], op: (a: number, b: number, x0: number, eps: number) => number): Float32Array {
    if (x0.length !== eps.length) throw new RangeError(`${this.name}: samples have ${x0.length} values but noise has ${eps.length}`);
    const batch = timesteps.length;
    if (batch === 0 || x0.length % batch !== 0) throw new RangeError(`${this.name}: ${x0.length} values do not split into ${batch} batch items`);
    const per = x0.length / batch;
    const out = new Float32Array(x0.length);
    for (let b = 0; b < batch; b++) {
      const t = timesteps[b]!;
      const ac = this.alphasCumprod[t];
      if (ac === undefined || !Number.isInteger(t)) throw new RangeError(`${this.name}: timestep ${t} is outside 0…${this.alphasCumprod.length - 1}`);
      const a = Math.sqrt(ac);
      const s = Math.sqrt(1 - ac);
      for (let k = b * per; k < (b + 1) * per; k++) out[k] = op(a, s, x0[k]!, eps[k]!);
    }
    return out;
  }
}
