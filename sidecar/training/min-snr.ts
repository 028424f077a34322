// Min-SNR-γ loss weighting (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting
// Strategy"): each instance image's loss is scaled by a weight of its timestep's signal-to-noise ratio
// SNR(t) = ᾱ_t / (1 − ᾱ_t) (diffusers' compute_snr), so the many easy low-noise timesteps stop
// dominating the gradient:
//   ε- (and sample-) prediction:  min(SNR, γ) / SNR
//   v-prediction:                 min(SNR, γ) / (SNR + 1)
// The v form is the paper's and diffusers' since 0.28; 0.27's train_dreambooth.py added 1 to the ε
// weight instead, which over-weights noisy timesteps. The class (prior) loss is not weighted, as there.
function snr(alphasCumprod: ArrayLike<number>, t: number): number {
  const ac = alphasCumprod[t];
  if (ac === undefined) throw new RangeError(`min-SNR: timestep ${t} outside 0…${alphasCumprod.length - 1}`);
  return ac / (1 - ac);
}

export function minSnrWeights(alphasCumprod: ArrayLike<number>, timesteps: readonly number[], gamma: number, predictionType: string): Float32Array {
  return Float32Array.from(timesteps, (t) => {
    const s = snr(alphasCumprod, t);
    return Math.min(s, gamma) / (predictionType === 'v_prediction' ? s + 1 : s);
  });
}
