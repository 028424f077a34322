// PNDM / PLMS: Liu, Ren, Lin & Zhao, "Pseudo Numerical Methods for Diffusion Models on Manifolds"
// (2022). SD 1.x's default sampler, run as PLMS only (skip_prk_steps = true), as diffusers does:
//   ε′ = linear multistep combination of the last ε's (eq. 12, Adams–Bashforth):
//        1 value: ε (first step, then repeated once with the average of two ε's — the "pseudo
//        improved Euler" warm-up), 2: (3ε₀ − ε₁)/2, 3: (23ε₀ − 16ε₁ + 5ε₂)/12,
//        4: (55ε₀ − 59ε₁ + 37ε₂ − 9ε₃)/24
//   x_{t−δ} = √(ᾱ_{t−δ}/ᾱ_t) · x_t − (ᾱ_{t−δ} − ᾱ_t) · ε′ / (ᾱ_t·√(1−ᾱ_{t−δ}) + √(ᾱ_t(1−ᾱ_t)ᾱ_{t−δ}))   (eq. 11, φ)
// The schedule has n + 1 entries: the second timestep is repeated for the warm-up step.

import { alphasCumprod, makeBetas } from './betas';
import { bool, resolveCommon, SchedulerConfigError, type CommonConfig, type SchedulerConfig } from './config';
import { checkSameLength, checkSteps, requireTimesteps, type Scheduler, type StepResult } from './scheduler';
import { spacedTimesteps } from './spacing';

export class PndmScheduler implements Scheduler {
  readonly name = 'PNDMScheduler';
  readonly initNoiseSigma = 1;
  readonly config: CommonConfig & { set_alpha_to_one: boolean; skip_prk_steps: boolean };
  readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  timesteps: number[] = [];
  private numInferenceSteps = 0;
  private ets: Float32Array[] = [];
  private counter = 0;
  private curSample: Float32Array | undefined;

  constructor(cfg: SchedulerConfig = {}) {
    this.config = { ...resolveCommon(cfg, 'leading'), set_alpha_to_one: bool(cfg, 'set_alpha_to_one', false), skip_prk_steps: bool(cfg, 'skip_prk_steps', false) };
    if (!this.config.skip_prk_steps) {
      throw new SchedulerConfigError('PNDMScheduler: only the PLMS variant (skip_prk_steps: true, as in Stable Diffusion configs) is implemented');
    }
    this.alphasCumprod = alphasCumprod(makeBetas(this.config));
    this.finalAlphaCumprod = this.config.set_alpha_to_one ? 1 : this.alphasCumprod[0]!;
  }

  setTimesteps(n: number): void {
    const T = this.config.num_train_timesteps;
    checkSteps(this.name, n, T);
    this.numInferenceSteps = n;
    const ascending = spacedTimesteps(this.config.timestep_spacing, T, n, this.config.steps_offset).reverse();
    // [t₀ … t_{n−2}, t_{n−2}, t_{n−1}] reversed: the second step repeats for the warm-up
    this.timesteps = [...ascending.slice(0, -1), ...ascending.slice(-2, -1), ...ascending.slice(-1)].reverse();
    this.ets = [];
    this.counter = 0;
    this.curSample = undefined;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): StepResult {
    requireTimesteps(this.name, this.timesteps);
    checkSameLength(this.name, modelOutput, sample);
    const delta = Math.floor(this.config.num_train_timesteps / this.numInferenceSteps);
    let t = timestep;
    let prevT = timestep - delta;
    // 1. remember ε (except on the warm-up's second half, which re-evaluates the same step)
    if (this.counter !== 1) {
      this.ets = [...this.ets.slice(-3), modelOutput];
    } else {
      prevT = timestep;
      t = timestep + delta;
    }
    // 2. the multistep combination ε′
    const e = this.ets;
    const n = e.length;
    const eps = new Float64Array(sample.length);
    let x = sample;
    if (n === 1 && this.counter === 0) {
      eps.set(modelOutput);
      this.curSample = sample;
    } else if (n === 1 && this.counter === 1) {
      for (let i = 0; i < eps.length; i++) eps[i] = (modelOutput[i]! + e[0]![i]!) / 2;
      x = this.curSample ?? sample;
      this.curSample = undefined;
    } else if (n === 2) {
      for (let i = 0; i < eps.length; i++) eps[i] = (3 * e[1]![i]! - e[0]![i]!) / 2;
    } else if (n === 3) {
      for (let i = 0; i < eps.length; i++) eps[i] = (23 * e[2]![i]! - 16 * e[1]![i]! + 5 * e[0]![i]!) / 12;
    } else {
      for (let i = 0; i < eps.length; i++) eps[i] = (55 * e[3]![i]! - 59 * e[2]![i]! + 37 * e[1]![i]! - 9 * e[0]![i]!) / 24;
    }
    // 3. the transfer φ(x_t, ε′, t, t−δ)
    const prev = this.transfer(x, t, prevT, eps);
    this.counter++;
    return { prevSample: prev };
  }

  private transfer(x: Float32Array, t: number, prevT: number, eps: Float64Array): Float32Array {
    const aT = this.alphasCumprod[t];
    if (aT === undefined) throw new RangeError(`${this.name}: timestep ${t} is outside 0…${this.alphasCumprod.length - 1}`);
    const aPrev = prevT >= 0 ? this.alphasCumprod[prevT]! : this.finalAlphaCumprod;
    const bT = 1 - aT;
    const bPrev = 1 - aPrev;
    const v = this.config.prediction_type === 'v_prediction';
    if (this.config.prediction_type === 'sample') throw new SchedulerConfigError(`${this.name}: prediction_type "sample" is not supported`);
    const sampleCoeff = Math.sqrt(aPrev / aT);
    const denom = aT * Math.sqrt(bPrev) + Math.sqrt(aT * bT * aPrev);
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      // v-prediction: turn v into ε first (ε = √ᾱ·v + √(1−ᾱ)·x)
      const e = v ? Math.sqrt(aT) * eps[i]! + Math.sqrt(bT) * x[i]! : eps[i]!;
      out[i] = sampleCoeff * x[i]! - ((aPrev - aT) * e) / denom;
    }
    return out;
  }
}
