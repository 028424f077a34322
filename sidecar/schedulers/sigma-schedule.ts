// Noise levels for the σ-parameterised samplers (Euler, Euler ancestral): Karras et al. 2022 write
// the diffusion as x_σ = x₀ + σ·ε with σ_t = √((1−ᾱ_t)/ᾱ_t). The inference σ's are the training σ's
// interpolated at the chosen (possibly fractional) timesteps, or Karras' ρ-spaced levels, with a
// final σ = 0 appended. As in diffusers, everything ends up in float32.

import type { CommonConfig } from './config';
import { interpAtIndex, karrasSigmas, linspace, sigmaToT, spacedTimesteps } from './spacing';

const f = Math.fround;

export interface SigmaSchedule {
  timesteps: number[];
  /** n + 1 values, the last 0. */
  sigmas: number[];
}

export function eulerSchedule(cfg: CommonConfig, trainSigmas: Float64Array, n: number, useKarras: boolean): SigmaSchedule {
  const T = cfg.num_train_timesteps;
  // linspace keeps fractional timesteps here (np.linspace(..., dtype=float32), no rounding)
  let timesteps =
    cfg.timestep_spacing === 'linspace' ? linspace(0, T - 1, n).map(f).reverse() : spacedTimesteps(cfg.timestep_spacing, T, n, cfg.steps_offset);
  let sigmas = timesteps.map((t) => interpAtIndex(trainSigmas, t));
  if (useKarras) {
    const logSigmas = trainSigmas.map((s) => f(Math.log(s)));
    sigmas = karrasSigmas(sigmas[sigmas.length - 1]!, sigmas[0]!, n);
    timesteps = sigmas.map((s) => f(sigmaToT(s, logSigmas)));
  }
  return { timesteps, sigmas: [...sigmas.map(f), 0] };
}
