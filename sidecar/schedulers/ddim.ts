// DDIM: Song, Meng & Ermon, "Denoising Diffusion Implicit Models" (2021), eq. 12:
//   x_{t−1} = √ᾱ_{t−1} · x̂₀ + √(1 − ᾱ_{t−1} − σ_t²) · ε̂ + σ_t · z,
//   x̂₀ = (x_t − √(1−ᾱ_t) · ε̂) / √ᾱ_t,
//   σ_t = η · √((1−ᾱ_{t−1})/(1−ᾱ_t)) · √(1 − ᾱ_t/ᾱ_{t−1})   (eq. 16; η = 0 is deterministic DDIM).
// Mirrors diffusers' DDIMScheduler (clip_sample supported, dynamic thresholding not).

import { alphasCumprod, makeBetas } from './betas';
import { bool, num, resolveCommon, type CommonConfig, type SchedulerConfig } from './config';
import { checkSameLength, checkSteps, predictX0Eps, requireTimesteps, SchedulerStateError, type NoiseSource, type Scheduler, type StepResult } from './scheduler';
import { spacedTimesteps } from './spacing';

export class DdimScheduler implements Scheduler {
  readonly name = 'DDIMScheduler';
  readonly initNoiseSigma = 1;
  readonly config: CommonConfig & { set_alpha_to_one: boolean; clip_sample: boolean; clip_sample_range: number; eta: number };
  readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  timesteps: number[] = [];
  private numInferenceSteps = 0;

  constructor(cfg: SchedulerConfig = {}) {
    this.config = {
      ...resolveCommon(cfg, 'leading'),
      set_alpha_to_one: bool(cfg, 'set_alpha_to_one', true),
      clip_sample: bool(cfg, 'clip_sample', true),
      clip_sample_range: num(cfg, 'clip_sample_range', 1, (v) => v > 0),
      eta: num(cfg, 'eta', 0, (v) => v >= 0),
    };
    this.alphasCumprod = alphasCumprod(makeBetas(this.config));
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.alphasCumprod[0]!;
  }

  setTimesteps(n: number): void {
    const T = this.config.num_train_timesteps;
    checkSteps(this.name, n, T);
    this.numInferenceSteps = n;
    this.timesteps = spacedTimesteps(this.config.timestep_spacing, T, n, this.config.steps_offset);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): StepResult {
    requireTimesteps(this.name, this.timesteps);
    checkSameLength(this.name, modelOutput, sample);
    const { prediction_type, clip_sample, clip_sample_range, eta, num_train_timesteps } = this.config;
    // 1. previous timestep t − T/n
    const prevT = timestep - Math.floor(num_train_timesteps / this.numInferenceSteps);
    // 2. ᾱ_t and ᾱ_{t−1} (the "final" ᾱ before step 0)
    const aT = this.alphaAt(timestep);
    const aPrev = prevT >= 0 ? this.alphaAt(prevT) : this.finalAlphaCumprod;
    // 3. σ_t (eq. 16)
    const variance = ((1 - aPrev) / (1 - aT)) * (1 - aT / aPrev);
    const std = eta * Math.sqrt(variance);
    const z = std > 0 ? this.requireNoise(noise, sample.length) : undefined;
    const dirCoef = Math.sqrt(1 - aPrev - std * std);
    const prev = new Float32Array(sample.length);
    const x0Out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      // 4. x̂₀ and ε̂ from the model output; 5. optional clipping of x̂₀
      // (ε̂ stays the unclipped one, as diffusers' default use_clipped_model_output=False)
      const [x0raw, eps] = predictX0Eps(prediction_type, aT, modelOutput[i]!, sample[i]!);
      const x0 = clip_sample ? Math.min(Math.max(x0raw, -clip_sample_range), clip_sample_range) : x0raw;
      x0Out[i] = x0;
      // 6. eq. 12
      prev[i] = Math.sqrt(aPrev) * x0 + dirCoef * eps + (z ? std * z[i]! : 0);
    }
    return { prevSample: prev, predOriginalSample: x0Out };
  }

  private alphaAt(t: number): number {
    const a = this.alphasCumprod[t];
    if (a === undefined || !Number.isInteger(t)) throw new RangeError(`${this.name}: timestep ${t} is outside 0…${this.alphasCumprod.length - 1}`);
    return a;
  }

  private requireNoise(noise: NoiseSource | undefined, n: number): Float32Array {
    if (!noise) throw new SchedulerStateError(`${this.name}: eta > 0 needs a noise source`);
    return noise.randn([n]);
  }
}
