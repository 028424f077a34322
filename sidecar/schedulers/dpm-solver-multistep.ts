// DPM-Solver++(2M): Lu, Zhou, Bao, Chen, Li & Zhu, "DPM-Solver++: Fast Solver for Guided Sampling of
// Diffusion Probabilistic Models" (2022), Algorithm 2, as diffusers' DPMSolverMultistepScheduler
// with its defaults (solver_order 2, algorithm_type "dpmsolver++", solver_type "midpoint",
// lower_order_final, final σ = 0). With use_karras_sigmas the σ's are Karras-spaced ("DPM++ 2M Karras").
// Notation: x_t = α_t·x₀ + σ_t·ε with α_t = 1/√(1+s²), σ_t = s·α_t for the VE noise level s,
// λ_t = log(α_t/σ_t), h = λ_t − λ_s. Data prediction D = x̂₀.
//   first order  (eq. 8/DDIM):   x_t = (σ_t/σ_s)·x_s − α_t·(e^{−h} − 1)·D₀
//   second order (Alg. 2, midpoint): r = h_prev/h, D₁ = (D₀ − D_prev)/r,
//                                x_t = (σ_t/σ_s)·x_s − α_t(e^{−h} − 1)·D₀ − ½·α_t(e^{−h} − 1)·D₁

import { alphasCumprod, makeBetas, trainSigmas } from './betas';
import { bool, num, resolveCommon, SchedulerConfigError, type CommonConfig, type SchedulerConfig } from './config';
import { checkSameLength, checkSteps, indexOfTimestep, requireTimesteps, type Scheduler, type StepResult } from './scheduler';
import { interpAtIndex, karrasSigmas, linspace, roundHalfEven, sigmaToT, spacedTimesteps } from './spacing';

const f = Math.fround;

export class DpmSolverMultistepScheduler implements Scheduler {
  readonly name = 'DPMSolverMultistepScheduler';
  readonly initNoiseSigma = 1;
  readonly config: CommonConfig & { use_karras_sigmas: boolean; lower_order_final: boolean; euler_at_final: boolean; final_sigmas_type: 'zero' | 'sigma_min' };
  readonly trainSigmas: Float64Array;
  timesteps: number[] = [];
  sigmas: number[] = [];
  private stepIndex: number | undefined;
  private previous: Float64Array | undefined; // D of the previous step
  private lowerOrderNums = 0;

  constructor(cfg: SchedulerConfig = {}) {
    const final = cfg.final_sigmas_type ?? 'zero';
    if (final !== 'zero' && final !== 'sigma_min') throw new SchedulerConfigError(`${this.name}: final_sigmas_type must be "zero" or "sigma_min", got ${JSON.stringify(final)}`);
    this.config = {
      ...resolveCommon(cfg, 'linspace'),
      use_karras_sigmas: bool(cfg, 'use_karras_sigmas', false),
      lower_order_final: bool(cfg, 'lower_order_final', true),
      euler_at_final: bool(cfg, 'euler_at_final', false),
      final_sigmas_type: final,
    };
    // this implementation is the 2M variant; say so rather than silently run another solver
    const order = num(cfg, 'solver_order', 2);
    const unsupported = [
      ['solver_order', order, 2],
      ['algorithm_type', cfg.algorithm_type ?? 'dpmsolver++', 'dpmsolver++'],
      ['solver_type', cfg.solver_type ?? 'midpoint', 'midpoint'],
    ] as const;
    for (const [key, got, want] of unsupported) {
      if (got !== want) throw new SchedulerConfigError(`${this.name}: only ${key} = ${JSON.stringify(want)} is implemented, got ${JSON.stringify(got)}`);
    }
    if (cfg.use_lu_lambdas || cfg.thresholding) throw new SchedulerConfigError(`${this.name}: use_lu_lambdas and thresholding are not implemented`);
    this.trainSigmas = trainSigmas(alphasCumprod(makeBetas(this.config)));
  }

  setTimesteps(n: number): void {
    const T = this.config.num_train_timesteps;
    checkSteps(this.name, n, T);
    let timesteps: number[];
    switch (this.config.timestep_spacing) {
      case 'linspace': // n + 1 points, drop the last (t = 0)
        timesteps = linspace(0, T - 1, n + 1).map(roundHalfEven).reverse().slice(0, -1);
        break;
      case 'leading': {
        const ratio = Math.floor(T / (n + 1));
        timesteps = Array.from({ length: n + 1 }, (_, i) => i * ratio + this.config.steps_offset).reverse().slice(0, -1);
        break;
      }
      case 'trailing':
        timesteps = spacedTimesteps('trailing', T, n, 0);
        break;
    }
    let sigmas: number[];
    if (this.config.use_karras_sigmas) {
      const ts = this.trainSigmas;
      const logSigmas = ts.map((s) => f(Math.log(s)));
      sigmas = karrasSigmas(ts[0]!, ts[ts.length - 1]!, n);
      timesteps = sigmas.map((s) => roundHalfEven(sigmaToT(s, logSigmas)));
    } else {
      sigmas = timesteps.map((t) => interpAtIndex(this.trainSigmas, t));
    }
    const last = this.config.final_sigmas_type === 'zero' ? 0 : this.trainSigmas[0]!;
    this.timesteps = timesteps;
    this.sigmas = [...sigmas, last].map(f);
    this.stepIndex = undefined;
    this.previous = undefined;
    this.lowerOrderNums = 0;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): StepResult {
    requireTimesteps(this.name, this.timesteps);
    checkSameLength(this.name, modelOutput, sample);
    this.stepIndex ??= indexOfTimestep(this.timesteps, timestep);
    const i = this.stepIndex;
    const n = this.timesteps.length;
    if (i >= n) throw new RangeError(`${this.name}: step() called more times than there are timesteps (${n})`);
    // 1. the order for this step: first order at the start and (for short schedules / σ = 0) the end
    const lowerOrderFinal = i === n - 1 && (this.config.euler_at_final || (this.config.lower_order_final && n < 15) || this.config.final_sigmas_type === 'zero');
    const firstOrder = this.lowerOrderNums < 1 || lowerOrderFinal || !this.previous;
    // 2. data prediction D₀ = x̂₀ at the current σ
    const [alphaS, sigmaS] = alphaSigma(this.sigmas[i]!);
    const [alphaT, sigmaT] = alphaSigma(this.sigmas[i + 1]!);
    const d0 = new Float64Array(sample.length);
    const type = this.config.prediction_type;
    for (let k = 0; k < sample.length; k++) {
      const x = sample[k]!;
      const m = modelOutput[k]!;
      d0[k] = type === 'epsilon' ? (x - sigmaS * m) / alphaS : type === 'v_prediction' ? alphaS * x - sigmaS * m : m;
    }
    // 3. the update; λ = log α − log σ (λ_t = +∞ at σ = 0, where e^{−h} = 0 and x_t = D₀)
    const lambdaS = Math.log(alphaS) - Math.log(sigmaS);
    const lambdaT = Math.log(alphaT) - Math.log(sigmaT);
    const h = lambdaT - lambdaS;
    const ratio = sigmaT / sigmaS;
    const coef = alphaT * (Math.exp(-h) - 1);
    const prev = new Float32Array(sample.length);
    if (firstOrder) {
      for (let k = 0; k < prev.length; k++) prev[k] = (sigmaT === 0 ? 0 : ratio * sample[k]!) - coef * d0[k]!;
    } else {
      const [alphaP, sigmaP] = alphaSigma(this.sigmas[i - 1]!);
      const hPrev = lambdaS - (Math.log(alphaP) - Math.log(sigmaP));
      const r = hPrev / h;
      const d1 = this.previous!;
      for (let k = 0; k < prev.length; k++) {
        const D1 = (d0[k]! - d1[k]!) / r;
        prev[k] = ratio * sample[k]! - coef * d0[k]! - 0.5 * coef * D1;
      }
    }
    this.previous = d0;
    if (this.lowerOrderNums < 2) this.lowerOrderNums++;
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: Float32Array.from(d0) };
  }
}

/** VE noise level s → (α_t, σ_t) of the VP process: α = 1/√(s²+1), σ = s·α. */
function alphaSigma(s: number): [number, number] {
  const alpha = 1 / Math.sqrt(s * s + 1);
  return [alpha, s * alpha];
}
