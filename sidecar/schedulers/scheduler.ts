// What every sampler offers the denoising loop:
//   scheduler.setTimesteps(n)
//   x = noise · initNoiseSigma
//   for t of scheduler.timesteps:
//     ε = unet(scaleModelInput(x, t), t)          (classifier-free guidance applied by the caller)
//     x = step(ε, t, x, noise).prevSample
// Latents are flat Float32Arrays (NCHW order); coefficient and elementwise math is done in float64.

/** Source of standard normal noise for stochastic samplers; `TorchGenerator` is one. */
export interface NoiseSource {
  randn(shape: readonly number[]): Float32Array;
}

export interface StepResult {
  prevSample: Float32Array;
  /** The model's current estimate of the clean latents x̂₀, where the scheduler computes one. */
  predOriginalSample?: Float32Array;
}

export interface Scheduler {
  readonly name: string;
  /** Empty until setTimesteps is called. */
  readonly timesteps: readonly number[];
  /** Standard deviation of the initial noise (1 for DDIM-style samplers, σ_max-ish for Euler-style). */
  readonly initNoiseSigma: number;
  setTimesteps(numInferenceSteps: number): void;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): StepResult;
}

export class SchedulerStateError extends Error {
  override name = 'SchedulerStateError';
}

export function requireTimesteps(name: string, timesteps: readonly number[]): void {
  if (timesteps.length === 0) throw new SchedulerStateError(`${name}: call setTimesteps(n) before step() or scaleModelInput()`);
}

export function checkSteps(name: string, n: number, max: number): void {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new RangeError(`${name}: number of inference steps must be an integer in [1, ${max}], got ${n}`);
}

export function checkSameLength(name: string, a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new RangeError(`${name}: model output has ${a.length} values but the sample has ${b.length}`);
}

/**
 * Index of `timestep` in the schedule, as diffusers' _init_step_index: the second match when it occurs
 * twice (so image-to-image starting mid-schedule does not skip a σ), the last step if absent.
 */
export function indexOfTimestep(timesteps: readonly number[], timestep: number): number {
  const hits: number[] = [];
  timesteps.forEach((t, i) => t === timestep && hits.push(i));
  if (hits.length === 0) return timesteps.length - 1;
  return hits.length > 1 ? hits[1]! : hits[0]!;
}

/** x̂₀ and ε̂ from a model output, for a sample x_t = √ᾱ·x₀ + √(1−ᾱ)·ε (DDPM notation). */
export function predictX0Eps(
  type: 'epsilon' | 'v_prediction' | 'sample',
  alphaProd: number,
  modelOutput: number,
  sample: number,
): [x0: number, eps: number] {
  const a = Math.sqrt(alphaProd);
  const b = Math.sqrt(1 - alphaProd);
  switch (type) {
    case 'epsilon':
      return [(sample - b * modelOutput) / a, modelOutput];
    case 'v_prediction': // v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans & Ho 2022, §4)
      return [a * sample - b * modelOutput, a * modelOutput + b * sample];
    case 'sample':
      return [modelOutput, (sample - a * modelOutput) / b];
  }
}
