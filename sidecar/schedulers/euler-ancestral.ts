// Euler ancestral sampler (k-diffusion's sample_euler_ancestral, diffusers'
// EulerAncestralDiscreteScheduler): an Euler step down to σ_down, then fresh noise up to σ_next:
//   σ_up = √(σ_next² (σ² − σ_next²) / σ²),   σ_down = √(σ_next² − σ_up²)
//   x̂₀ from the model output, d = (x − x̂₀)/σ,   x_next = x + (σ_down − σ)·d + σ_up·z,  z ~ N(0, I).
// z comes from the caller's NoiseSource (a TorchGenerator reproduces diffusers' draws).

import type { SchedulerConfig } from './config';
import { EulerScheduler } from './euler';
import { SchedulerStateError, checkSameLength, type NoiseSource, type StepResult } from './scheduler';
import { sigmaX0 } from './sigma-prediction';

export class EulerAncestralScheduler extends EulerScheduler {
  override readonly name = 'EulerAncestralDiscreteScheduler';

  constructor(cfg: SchedulerConfig = {}) {
    super(cfg, false); // diffusers' ancestral Euler has no Karras option
  }

  override step(modelOutput: Float32Array, timestep: number, sample: Float32Array, noise?: NoiseSource): StepResult {
    checkSameLength(this.name, modelOutput, sample);
    if (!noise) throw new SchedulerStateError(`${this.name}: step() needs a noise source (e.g. the TorchGenerator that made the initial latents)`);
    const i = this.currentIndex(timestep);
    const sigma = this.sigmas[i]!;
    const next = this.sigmas[i + 1]!;
    // 1. split the step into a deterministic part (to σ_down) and fresh noise (σ_up)
    const up = Math.sqrt((next * next * (sigma * sigma - next * next)) / (sigma * sigma));
    const down = Math.sqrt(next * next - up * up);
    const dt = down - sigma;
    // 2. the noise is drawn after the model output is used, as diffusers does
    const z = noise.randn([sample.length]);
    const prev = new Float32Array(sample.length);
    const x0s = new Float32Array(sample.length);
    for (let k = 0; k < sample.length; k++) {
      const x = sample[k]!;
      const x0 = sigmaX0(this.config.prediction_type, sigma, modelOutput[k]!, x);
      x0s[k] = x0;
      // 3. Euler step to σ_down, then add noise of std σ_up
      prev[k] = x + ((x - x0) / sigma) * dt + z[k]! * up;
    }
    this.stepIndex = i + 1;
    return { prevSample: prev, predOriginalSample: x0s };
  }
}
