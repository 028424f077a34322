// Stage 1: the VAE, trained from its seeded initialisation on world images (vae-graph.ts).
// Stage 2: its decoder fine-tuned with the encoder frozen, on world images and the codec set (world
// shapes with fine detail, generator/scene.ts `Detail`), half of each batch from each: a longer-trained
// decoder that also carries detail the world never shows, in the latent space the UNet already knows.
// Batch items and the sampling noise come from (seed, step). State: <work>/vae-state.safetensors and
// <work>/vae-decoder-state.safetensors.
import { join } from 'node:path';
import type { Runtime } from '../../sidecar/runtime/runtime';
import { IMAGE_SIZE, LATENT_SIZE } from './config';
import { imageBatch, type WorldSet } from './data';
import { componentParams, initialWeights, vaeConfig } from './folder';
import { runLoop } from './loop';
import { StepRandom } from './random';
import { warmupCosine } from './schedule';
import { loadState, saveState, settingsMetadata } from './state';
import { f32, GraphStepper } from './stepper';
import { buildVaeStep, isDecoderParam, VAE_IO } from './vae-graph';

export interface VaeTraining {
  steps: number;
  batch: number;
  lr: number;
  klWeight: number;
}

export const VAE_TRAINING: VaeTraining = { steps: 1800, batch: 8, lr: 1e-3, klWeight: 1e-4 };
export const DECODER_TRAINING: VaeTraining = { steps: 3000, batch: 8, lr: 3e-4, klWeight: 0 };
export const vaeStatePath = (work: string) => join(work, 'vae-state.safetensors');
export const decoderStatePath = (work: string) => join(work, 'vae-decoder-state.safetensors');

interface VaeStage {
  label: string;
  train: 'all' | 'decoder';
  path: string;
  /** Each batch takes an equal share from every set. */
  sets: readonly WorldSet[];
  /** Values before the first step: the trained ones and, for the decoder stage, the frozen encoder. */
  start: Map<string, Float32Array>;
  stream: number;
}

/** Trains (or resumes) the whole VAE up to o.steps; returns its weights, or undefined when interrupted. */
export function trainVae(rt: Runtime, work: string, set: WorldSet, o: VaeTraining, seed: number, log: (s: string) => void): Promise<Map<string, Float32Array> | undefined> {
  return runStage(rt, { label: 'VAE', train: 'all', path: vaeStatePath(work), sets: [set], start: initialWeights(seed).vae, stream: 1 }, o, seed, log);
}

/** Fine-tunes (or resumes) the decoder of `vae` up to o.steps; returns the whole VAE (its encoder
 *  unchanged), or undefined when interrupted. o.steps 0 returns `vae` as it is. */
export async function fineTuneDecoder(rt: Runtime, work: string, sets: readonly WorldSet[], vae: Map<string, Float32Array>, o: VaeTraining, seed: number, log: (s: string) => void): Promise<Map<string, Float32Array> | undefined> {
  if (o.steps === 0) return vae;
  const decoder = await runStage(rt, { label: 'VAE decoder', train: 'decoder', path: decoderStatePath(work), sets, start: vae, stream: 3 }, o, seed, log);
  return decoder && new Map([...vae, ...decoder]);
}

async function runStage(rt: Runtime, st: VaeStage, o: VaeTraining, seed: number, log: (s: string) => void): Promise<Map<string, Float32Array> | undefined> {
  const params = componentParams('vae').filter((p) => st.train === 'all' || isDecoderParam(p.name));
  const saved = await loadState(st.path, params);
  if (saved && saved.step >= o.steps) return saved.weights;
  const step = buildVaeStep(vaeConfig(), o.batch, o.klWeight, st.train);
  const stepper = await GraphStepper.open(rt, step.graph, step.adam, 'vae_train', st.train === 'all' ? undefined : st.start);
  try {
    stepper.setState(saved ?? { weights: new Map(params.map((p) => [p.name, st.start.get(p.name)!])), step: 0 });
    log(saved ? `${st.label}: resuming at step ${saved.step}` : `${st.label}: training from step 0 (${params.length} tensors)`);
    const b = o.batch;
    if (b % st.sets.length) throw new Error(`${st.label}: batch ${b} does not split evenly over ${st.sets.length} image sets`);
    const done = await runLoop({
      from: stepper.step,
      steps: o.steps,
      saveEverySeconds: 180,
      log,
      step: async (s) => {
        const r = new StepRandom(seed, s, st.stream);
        const images = new Float32Array(b * 3 * IMAGE_SIZE * IMAGE_SIZE);
        const share = b / st.sets.length;
        st.sets.forEach((set, k) => images.set(imageBatch(set, r.sample(set.count, share)), k * share * 3 * IMAGE_SIZE * IMAGE_SIZE));
        const out = await stepper.run(
          {
            [VAE_IO.image]: f32(images, [b, 3, IMAGE_SIZE, IMAGE_SIZE]),
            [VAE_IO.eps]: f32(r.normal(b * 4 * LATENT_SIZE * LATENT_SIZE), [b, 4, LATENT_SIZE, LATENT_SIZE]),
          },
          warmupCosine(s, { lr: o.lr, warmup: 50, steps: o.steps }),
        );
        return `rec ${out[VAE_IO.rec]![0]!.toFixed(5)}  kl ${out[VAE_IO.kl]![0]!.toFixed(3)}`;
      },
      save: async () => saveState(st.path, params, await stepper.state(), { stage: st.train === 'all' ? 'vae' : 'vae-decoder', ...settingsMetadata(o) }),
    });
    return done ? (await stepper.state()).weights : undefined;
  } finally {
    await stepper.close();
  }
}
