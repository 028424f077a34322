// Noise levels for the σ-parameterised samplers (Euler, Euler ancestral): Karras et al. 2022 write
// the diffusion as x_σ = x₀ + σ·ε with σ_t = √((1−ᾱ_t)/ᾱ_t). The inference σ's are the training σ's
// interpolated at the chosen (possibly fractional) timesteps, or Karras' ρ-spaced levels, with a
// final σ = 0 appended. As in diffusers, everything ends up in float32.

import type { CommonConfig } from './config';
import { karrasSigmas, linspace, roundHalfEven, sigmaToT, interpAtIndex } from './spacing';

const f = Math.fround;

export interface SigmaSchedule {
  timesteps: number[];
  /** n + 1 values, the last 0. */
  sigmas: number[];
}

export function eulerSchedule(cfg: CommonConfig, trainSigmas: Float64Array, n: number, useKarras: boolean): SigmaSchedule {
  const T = cfg.num_train_timesteps;
  let timesteps: number[];
  switch (cfg.timestep_spacing) {
    case 'linspace':
      // np.linspace(..., dtype=np.float32): computed in float64, then rounded
      timesteps = linspace(0, T - 1, n).map(f).reverse();
      break;
    case 'leading': {
      const ratio = Math.floor(T / n);
      timesteps = Array.from({ length: n }, (_, i) => i * ratio + cfg.steps_offset).reverse();
      break;
    }
    case 'trailing': {
      timesteps = [];
      for (let t = T; t > 0; t -= T / n) timesteps.push(roundHalfEven(t) - 1);
      break;
    }
  }
  let sigmas = timesteps.map((t) => interpAtIndex(trainSigmas, t));
  if (useKarras) {
    const logSigmas = trainSigmas.map((s) => f(Math.log(s)));
    sigmas = karrasSigmas(sigmas[sigmas.length - 1]!, sigmas[0]!, n);
    timesteps = sigmas.map((s) => f(sigmaToT(s, logSigmas)));
  }
  return { timesteps, sigmas: [...sigmas.map(f), 0] };
}
