// Stage 1: the VAE, trained from its seeded initialisation on world images (vae-graph.ts), batch
// items and the sampling noise drawn from (seed, step). State: <work>/vae-state.safetensors.
import { join } from 'node:path';
import type { Runtime } from '../../sidecar/runtime/runtime';
import { IMAGE_SIZE, LATENT_SIZE } from './config';
import { imageBatch, type WorldSet } from './data';
import { componentParams, initialWeights, vaeConfig } from './folder';
import { runLoop } from './loop';
import { StepRandom } from './random';
import { warmupCosine } from './schedule';
import { loadState, saveState } from './state';
import { f32, GraphStepper } from './stepper';
import { buildVaeStep, VAE_IO } from './vae-graph';

export interface VaeTraining {
  steps: number;
  batch: number;
  lr: number;
  klWeight: number;
}

export const VAE_TRAINING: VaeTraining = { steps: 1800, batch: 8, lr: 1e-3, klWeight: 1e-4 };
export const vaeStatePath = (work: string) => join(work, 'vae-state.safetensors');

/** Trains (or resumes) the VAE up to o.steps; returns its weights, or undefined when interrupted. */
export async function trainVae(rt: Runtime, work: string, set: WorldSet, o: VaeTraining, seed: number, log: (s: string) => void): Promise<Map<string, Float32Array> | undefined> {
  const params = componentParams('vae');
  const path = vaeStatePath(work);
  const saved = await loadState(path, params);
  if (saved && saved.step >= o.steps) return saved.weights;
  const step = buildVaeStep(vaeConfig(), o.batch, o.klWeight);
  const stepper = await GraphStepper.open(rt, step.graph, step.adam, 'vae_train');
  try {
    stepper.setState(saved ?? { weights: initialWeights(seed).vae, step: 0 });
    log(saved ? `VAE: resuming at step ${saved.step}` : `VAE: training from scratch (${params.length} tensors)`);
    const b = o.batch;
    const done = await runLoop({
      from: stepper.step,
      steps: o.steps,
      saveEverySeconds: 180,
      log,
      step: async (s) => {
        const r = new StepRandom(seed, s, 1);
        const out = await stepper.run(
          {
            [VAE_IO.image]: f32(imageBatch(set, r.sample(set.count, b)), [b, 3, IMAGE_SIZE, IMAGE_SIZE]),
            [VAE_IO.eps]: f32(r.normal(b * 4 * LATENT_SIZE * LATENT_SIZE), [b, 4, LATENT_SIZE, LATENT_SIZE]),
          },
          warmupCosine(s, { lr: o.lr, warmup: 50, steps: o.steps }),
        );
        return `rec ${out[VAE_IO.rec]![0]!.toFixed(5)}  kl ${out[VAE_IO.kl]![0]!.toFixed(3)}`;
      },
      save: async () => saveState(path, params, await stepper.state(), { stage: 'vae', ...Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)])) }),
    });
    return done ? (await stepper.state()).weights : undefined;
  } finally {
    await stepper.close();
  }
}
