// Noise schedules β_t and ᾱ_t = Π_{s≤t} (1 − β_s), reproducing diffusers' float32 tensors bit for
// bit on x86 CPUs, so that every scheduler starts from the reference's exact ᾱ table:
//  - β comes from torch.linspace(..., dtype=float32), whose CPU kernel computes `start + step·i`
//    (i < n/2) or `end − step·(n−1−i)` in float32, in 8-wide AVX2 vectors built as
//    `base + k·step` with fused multiply-adds, and a scalar tail;
//  - cumprod accumulates in double and rounds each prefix to float32.
// Values are returned as float64 arrays holding float32 numbers.

import type { CommonConfig } from './config';

const f = Math.fround;

/** torch.linspace(start, end, n, dtype=torch.float32) on an AVX2 CPU. */
export function torchLinspaceF32(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) out[0] = f(start);
  if (n <= 1) return out;
  const s = f(start);
  const e = f(end);
  const step = f((e - s) / (n - 1));
  const halfway = Math.floor(n / 2);
  // step·i is exact in double (24-bit × small integer), so f(a + step·i) is a correctly rounded FMA
  const at = (i: number): number => (i < halfway ? f(s + step * i) : f(e - step * (n - i - 1)));
  const vec = 8;
  const vectorised = Math.floor(n / (2 * vec)) * 2 * vec;
  for (let i = 0; i < vectorised; i += vec) {
    const base = at(i);
    for (let k = 0; k < vec; k++) out[i + k] = k === 0 ? base : f(base + k * step);
  }
  for (let i = vectorised; i < n; i++) out[i] = at(i);
  return out;
}

/** diffusers' betas_for_alpha_bar with the cosine ᾱ of Nichol & Dhariwal (2021), eq. 17, in float64. */
function cosineBetas(n: number, maxBeta = 0.999): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), maxBeta));
  return out;
}

export function makeBetas(cfg: CommonConfig): Float64Array {
  const n = cfg.num_train_timesteps;
  if (cfg.trained_betas) return Float64Array.from(cfg.trained_betas, f);
  switch (cfg.beta_schedule) {
    case 'linear':
      return torchLinspaceF32(cfg.beta_start, cfg.beta_end, n);
    case 'scaled_linear':
      // "this schedule is very specific to the latent diffusion model": linear in sqrt(β)
      return torchLinspaceF32(Math.sqrt(cfg.beta_start), Math.sqrt(cfg.beta_end), n).map((b) => f(b * b));
    case 'squaredcos_cap_v2':
      return cosineBetas(n);
  }
}

/** ᾱ_t for t = 0 … T−1. */
export function alphasCumprod(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let acc = 1;
  for (let i = 0; i < betas.length; i++) {
    acc *= f(1 - betas[i]!);
    out[i] = f(acc);
  }
  return out;
}

/** σ_t = sqrt((1 − ᾱ_t) / ᾱ_t), the noise level of the variance-exploding view, in float32 as torch computes it. */
export function trainSigmas(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => f(Math.sqrt(f(f(1 - a) / a))));
}
