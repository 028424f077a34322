// Stage 3: the UNet and the text encoder, trained together in full from their seeded initialisation
// with the sidecar's Trainer (one ONNX graph: text encoder → UNet → ε-MSE → backward → AdamW), on the
// cached latents and the world's captions. Each step: B random items, a caption dropped to "" with
// probability 0.1 (so classifier-free guidance has an unconditional model), t ~ U{0..999}, ε ~ N(0, 1),
// x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε, target ε (ε-prediction), from step `vFrom` on v = √ᾱ_t·ε − √(1−ᾱ_t)·x_0
// (v-prediction), the loss weighted by min-SNR-γ from step `minSnrFrom` on.
// Why the switches (world/base/README.md): with ε-prediction the samples stayed noisy textures. At
// high noise x̂_0 = (x_t − √(1−ᾱ)·ε̂)/√ᾱ multiplies ε̂'s error by up to 1/√ᾱ ≈ 15, so the steps that lay
// out a scene need a precision a model this small reaches late (measured: x̂_0 at t = 950 was worse
// than predicting the mean after 1,900 steps); v-prediction's error reaches x̂_0 unamplified.
// All draws from (seed, step): resuming is exact.
import { join } from 'node:path';
import { tokenizerFor } from '../../sidecar/pipeline/prompt';
import type { SdModel } from '../../sidecar/pipeline/sd-model';
import type { SchedulerConfig } from '../../sidecar/schedulers/config';
import { DdpmScheduler } from '../../sidecar/schedulers/ddpm';
import { minSnrWeights } from '../../sidecar/training/min-snr';
import { baseValues } from '../../sidecar/training/step-weights';
import { Trainer, type TrainState } from '../../sidecar/training/trainer';
import { LATENT_SIZE } from './config';
import type { WorldSet } from './data';
import { textConfig } from './folder';
import { type CachedLatents, LATENT_PER } from './latents';
import { runLoop } from './loop';
import { StepRandom } from './random';
import { warmupCosine } from './schedule';
import { loadState, saveState, settingsMetadata } from './state';

export interface UnetTraining {
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  captionDropout: number;
  weightDecay: number;
  /** Min-SNR-γ weighting (Hang et al. 2023) of each item's loss, from step minSnrFrom on. */
  minSnrGamma: number;
  minSnrFrom: number;
  /** v-prediction from this step on (ε-prediction before). */
  vFrom: number;
  /** From this step to the last, the rate decays (cosine) to a tenth: a run extended to its end
   *  consolidates what the constant rate learnt. Undefined: constant to the end. */
  decayFrom?: number;
}

export const UNET_TRAINING: UnetTraining = { steps: 10000, batch: 16, lr: 4e-4, warmup: 200, captionDropout: 0.1, weightDecay: 0.01, minSnrGamma: 5, minSnrFrom: 2053, vFrom: 3126 };
export const unetStatePath = (work: string) => join(work, 'unet-state.safetensors');

/** Linear warm-up, constant, then (from decayFrom) a cosine decay to a tenth at the last step. */
export function unetRate(s: number, o: Pick<UnetTraining, 'lr' | 'warmup' | 'steps' | 'decayFrom'>): number {
  if (s < o.warmup) return (o.lr * (s + 1)) / o.warmup;
  if (o.decayFrom === undefined || s < o.decayFrom) return o.lr;
  return warmupCosine(s - o.decayFrom, { lr: o.lr, warmup: 0, steps: o.steps - o.decayFrom });
}

/** Trains (or resumes) up to o.steps; `onSave` gets each saved state, and the final one when the stage
 *  was already complete (the caller exports the model). */
export async function trainUnet(model: SdModel, work: string, set: WorldSet, latents: CachedLatents, o: UnetTraining, seed: number, log: (s: string) => void, onSave: (s: TrainState) => Promise<void>): Promise<boolean> {
  const trainer = await Trainer.open(model, {
    instanceBatch: o.batch,
    classBatch: 0,
    height: LATENT_SIZE,
    width: LATENT_SIZE,
    unet: 'full',
    textEncoder: { config: textConfig(), mode: 'full' },
    priorLossWeight: 0,
    adam: { maxGradNorm: 1, weightDecay: o.weightDecay },
  });
  try {
    const path = unetStatePath(work);
    const saved = await loadState(path, trainer.params);
    if (saved && saved.step >= o.steps) {
      await onSave(saved); // the model is written again: an earlier stage (the decoder) may have changed
      return true;
    }
    await trainer.setState(saved ?? { weights: await baseValues(model.checkpoint, trainer.spec), step: 0 });
    log(saved ? `UNet + text encoder: resuming at step ${saved.step}` : `UNet + text encoder: training from scratch (${trainer.params.length} tensors)`);
    const tok = await tokenizerFor(model);
    const ids = new Map<string, number[]>();
    const idsOf = (text: string) => ids.get(text) ?? (ids.set(text, tok.encode(text).ids), ids.get(text)!);
    const ddpm = new DdpmScheduler(model.checkpoint.scheduler as SchedulerConfig);
    const sf = latents.scalingFactor;
    let lossSum = 0;
    let lossN = 0;
    return await runLoop({
      from: trainer.step,
      steps: o.steps,
      saveEverySeconds: 300,
      log,
      step: async (s) => {
        const r = new StepRandom(seed, s, 2);
        const pick = r.sample(set.count, o.batch);
        const x0 = new Float32Array(o.batch * LATENT_PER);
        pick.forEach((j, b) => {
          for (let k = 0; k < LATENT_PER; k++) x0[b * LATENT_PER + k] = latents.means[j * LATENT_PER + k]! * sf;
        });
        const inputIds = pick.map((j) => idsOf(r.next() < o.captionDropout ? '' : set.captions[j]!));
        const timesteps = pick.map(() => r.int(ddpm.config.num_train_timesteps));
        const noise = r.normal(x0.length);
        const lr = unetRate(s, o);
        const v = s >= o.vFrom;
        const lossWeights = s >= o.minSnrFrom ? minSnrWeights(ddpm.alphasCumprod, timesteps, o.minSnrGamma, v ? 'v_prediction' : 'epsilon') : undefined;
        const target = v ? ddpm.getVelocity(x0, noise, timesteps) : noise;
        const out = await trainer.run({ noisyLatents: ddpm.addNoise(x0, noise, timesteps), timesteps, inputIds, target, lossWeights }, lr);
        lossSum += out.loss;
        lossN++;
        const line = `loss ${(lossSum / lossN).toFixed(4)} (mean since last line)  lr ${lr.toExponential(1)}`;
        if ((s + 1) % 25 === 0) (lossSum = 0), (lossN = 0);
        return line;
      },
      save: async () => {
        const st = await trainer.state();
        await saveState(path, trainer.params, st, { stage: 'unet', ...settingsMetadata(o) });
        await onSave(st);
      },
    });
  } finally {
    await trainer.close();
  }
}
