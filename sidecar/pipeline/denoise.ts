// The txt2img denoising loop of diffusers' StableDiffusionPipeline.__call__, steps 4–7:
//   latents = initial · init_noise_sigma
//   for t in timesteps:
//     x = scale_model_input(latents, t)
//     ε_u, ε_c = unet([x, x], t, [uncond, cond])                  (one batch of 2: cat([uncond, cond]))
//     ε = ε_u + g · (ε_c − ε_u)                                   (classifier-free guidance)
//     latents = step(ε, t, latents, noise).prev_sample
// With g ≤ 1 guidance is off and the UNet sees only the conditional batch, as diffusers does.
import type { NoiseSource, Scheduler } from '../schedulers';
import type { SdModel } from './sd-model';

export interface DenoiseInput {
  model: SdModel;
  scheduler: Scheduler;
  steps: number;
  guidance: number;
  /** [1, L, D] each. */
  cond: Float32Array;
  uncond: Float32Array;
  /** Initial noise [1, C, h, w], N(0, 1) (scaled by init_noise_sigma here). */
  initial: Float32Array;
  height: number;
  width: number;
  /** Noise for stochastic samplers (the same generator that drew `initial`, as diffusers passes it). */
  noise?: NoiseSource;
  /** After each step, with the new latents. Throwing (e.g. on cancellation) stops the loop. */
  onStep?: (step: number, total: number, latents: Float32Array) => void;
}

export async function denoise(d: DenoiseInput): Promise<Float32Array> {
  const { scheduler: s, model } = d;
  s.setTimesteps(d.steps);
  const cfg = d.guidance > 1;
  const batch = cfg ? 2 : 1;
  const context = cfg ? concat(d.uncond, d.cond) : d.cond;
  let latents: Float32Array = d.initial.map((v) => v * s.initNoiseSigma);
  const timesteps = s.timesteps;
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i]!;
    const x = s.scaleModelInput(latents, t);
    const out = (await model.unet(cfg ? concat(x, x) : x, Array(batch).fill(t), context, { batch, height: d.height, width: d.width })).noise_pred!;
    const eps = cfg ? guide(out, d.guidance) : out;
    latents = s.step(eps, t, latents, d.noise).prevSample;
    d.onStep?.(i + 1, timesteps.length, latents);
  }
  return latents;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** ε_u + g·(ε_c − ε_u) over a [2, ...] batch (uncond first), in float32 as torch does. */
export function guide(pair: Float32Array, g: number): Float32Array {
  const n = pair.length / 2;
  const out = new Float32Array(n);
  const gf = Math.fround(g);
  for (let i = 0; i < n; i++) {
    const u = pair[i]!;
    out[i] = u + Math.fround(gf * Math.fround(pair[n + i]! - u));
  }
  return out;
}
