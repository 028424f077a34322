// Choosing the inference timesteps and their noise levels (diffusers' set_timesteps helpers).
//   linspace: round(linspace(0, T−1, n)) reversed                         (Lu et al. 2022)
//   leading:  (0, T/n, 2T/n, …)·⌊T/n⌋ + steps_offset, reversed            (SD 1.x's original DDIM/PLMS)
//   trailing: round(arange(T, 0, −T/n)) − 1                               (Lin et al. 2023, table 2)

import type { TimestepSpacing } from './config';

/** numpy's round-half-to-even (np.round / ndarray.round), which differs from Math.round at .5. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** np.linspace(a, b, n) in float64 (numpy computes a + i·step and pins the last value to b). */
export function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  const step = (b - a) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + i * step));
}

/** Descending integer timesteps for DDIM, PNDM (before PLMS reordering) and DDPM. */
export function spacedTimesteps(spacing: TimestepSpacing, T: number, n: number, stepsOffset: number): number[] {
  switch (spacing) {
    case 'linspace':
      return linspace(0, T - 1, n).map(roundHalfEven).reverse();
    case 'leading': {
      const ratio = Math.floor(T / n);
      return Array.from({ length: n }, (_, i) => i * ratio + stepsOffset).reverse();
    }
    case 'trailing':
      return arange(T, 0, -T / n).map((t) => roundHalfEven(t) - 1);
  }
}

/** np.arange(start, stop, step): ceil((stop − start)/step) values start + i·step (no accumulated error). */
export function arange(start: number, stop: number, step: number): number[] {
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return Array.from({ length: n }, (_, i) => start + i * step);
}

/** np.interp(x, arange(len(ys)), ys) for x in [0, len−1]. */
export function interpAtIndex(ys: ArrayLike<number>, x: number): number {
  if (x <= 0) return ys[0]!;
  const last = ys.length - 1;
  if (x >= last) return ys[last]!;
  const i = Math.floor(x);
  const w = x - i;
  return w === 0 ? ys[i]! : ys[i]! + (ys[i + 1]! - ys[i]!) * w;
}

/** Karras et al. 2022, eq. 5 with ρ = 7: n noise levels from σ_max down to σ_min, spaced in σ^(1/ρ). */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number, rho = 7): number[] {
  const minInv = sigmaMin ** (1 / rho);
  const maxInv = sigmaMax ** (1 / rho);
  return linspace(0, 1, n).map((r) => (maxInv + r * (minInv - maxInv)) ** rho);
}

/**
 * The (fractional) training timestep whose σ is `sigma`: linear interpolation in log σ between the
 * two neighbouring training steps (diffusers' _sigma_to_t). `logSigmas` ascending, float32 values.
 */
export function sigmaToT(sigma: number, logSigmas: ArrayLike<number>): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (logSigma - logSigmas[i]! >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low]!;
  const hi = logSigmas[low + 1]!;
  const w = Math.min(Math.max((lo - logSigma) / (lo - hi), 0), 1);
  return (1 - w) * low + w * (low + 1);
}
