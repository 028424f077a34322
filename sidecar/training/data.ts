// The training set held in memory: per concept, the VAE latent distributions of its instance and
// class images (encoded once — and once mirrored with random_flip; a fresh latent is sampled from each
// every step, as diffusers' latent_dist.sample()) and its two prompts: embedded once when the text
// encoder is frozen, as token ids when it is trained in the step.
// `batchAt(step)` draws a step's batch deterministically from (seed, step), so a resumed run draws
// exactly what an uninterrupted one would have. The options that add randomness (noise offset, flips)
// draw after everything else, so turning one on leaves the rest of the batch as it was.
import type { ConceptBlock } from '../../language/resolve';
import type { SdModel } from '../pipeline/sd-model';
import { tokenizerFor } from '../pipeline/prompt';
import { TorchGenerator } from '../random/torch-generator';
import { DdpmScheduler } from '../schedulers/ddpm';
import type { SchedulerConfig } from '../schedulers/config';
import type { PreparedImage } from './images';
import { minSnrWeights } from './min-snr';
import type { StepBatch } from './trainer';

interface LatentDist {
  mean: Float32Array;
  std: Float32Array;
}
/** An image's latent distribution, and its mirror image's with random_flip. */
interface Item {
  dist: LatentDist;
  flipped?: LatentDist;
}
interface ConceptData {
  instance: Item[];
  classes: Item[];
  /** Embedding (frozen text encoder) or token ids (trained) of each prompt. */
  instancePrompt: Prompt;
  classPrompt?: Prompt;
}
interface Prompt {
  emb?: Float32Array;
  ids: number[];
}

/** What changes how a batch is drawn (the concept language's train options). */
export interface Augment {
  /** 0: off. */
  noiseOffset: number;
  randomFlip: boolean;
  /** 0: off. */
  minSnrGamma: number;
}
const NO_AUGMENT: Augment = { noiseOffset: 0, randomFlip: false, minSnrGamma: 0 };

/** [3, H, W] pixels mirrored left–right. */
export function mirror(pixels: Float32Array, width: number): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let row = 0; row < pixels.length; row += width) for (let x = 0; x < width; x++) out[row + x] = pixels[row + width - 1 - x]!;
  return out;
}

export class TrainingData {
  private constructor(
    private readonly concepts: ConceptData[],
    private readonly model: SdModel,
    private readonly seed: number,
    readonly batchSize: number,
    readonly withPrior: boolean,
    readonly latentShape: [number, number, number],
    private readonly ddpm: DdpmScheduler,
    private readonly augment: Augment,
  ) {}

  static async build(
    model: SdModel,
    concepts: { block: ConceptBlock; instance: PreparedImage[]; classes: PreparedImage[] }[],
    o: { resolution: number; seed: number; batchSize: number; conditioning?: 'context' | 'input_ids'; augment?: Augment; onImage?: (done: number, total: number) => void },
  ): Promise<TrainingData> {
    const res = o.resolution;
    const augment = o.augment ?? NO_AUGMENT;
    const tok = await tokenizerFor(model);
    const prompt = async (text: string): Promise<Prompt> => {
      const ids = tok.encode(text).ids;
      return o.conditioning === 'input_ids' ? { ids } : { ids, emb: (await model.encodeText([ids])).last_hidden_state! };
    };
    const total = concepts.reduce((n, c) => n + c.instance.length + c.classes.length, 0);
    let done = 0;
    const latent = async (pixels: Float32Array): Promise<LatentDist> => {
      const out = await model.vaeEncode(pixels, { batch: 1, height: res, width: res });
      return { mean: out.mean!, std: out.std! };
    };
    const encode = async (img: PreparedImage): Promise<Item> => {
      const item = { dist: await latent(img.pixels), flipped: augment.randomFlip ? await latent(mirror(img.pixels, res)) : undefined };
      o.onImage?.(++done, total);
      return item;
    };
    const data: ConceptData[] = [];
    for (const c of concepts) {
      const instance: Item[] = [];
      for (const img of c.instance) instance.push(await encode(img));
      const classes: Item[] = [];
      for (const img of c.classes) classes.push(await encode(img));
      const withClass = c.block.classPrompt !== null && classes.length > 0;
      data.push({ instance, classes, instancePrompt: await prompt(c.block.instancePrompt), classPrompt: withClass ? await prompt(c.block.classPrompt!) : undefined });
    }
    const withPrior = data.every((d) => d.classPrompt !== undefined);
    const s = res / model.vaeScale;
    const ddpm = new DdpmScheduler(model.checkpoint.scheduler as SchedulerConfig);
    return new TrainingData(data, model, o.seed, o.batchSize, withPrior, [model.checkpoint.unet.in_channels, s, s], ddpm, augment);
  }

  get predictionType(): string {
    return this.ddpm.config.prediction_type;
  }

  /** The batch of optimizer step `step` (0-based): instance items, then as many class items with prior
   *  preservation. `micro` numbers the batches of one step with gradient accumulation (0 without). */
  batchAt(step: number, micro = 0): StepBatch {
    const seed = BigInt(this.seed) * 1_000_003n + BigInt(step);
    const gen = new TorchGenerator(micro === 0 ? seed : seed * 1_009n + BigInt(micro));
    const picks: { item: Item; prompt: Prompt }[] = [];
    const pool = this.concepts.flatMap((c) => c.instance.map((item) => ({ item, c })));
    const chosen = gen.randint(0, pool.length, [this.batchSize]).map((i) => pool[i]!);
    for (const { item, c } of chosen) picks.push({ item, prompt: c.instancePrompt });
    if (this.withPrior) {
      for (const { c } of chosen) {
        const k = gen.randint(0, c.classes.length, [1])[0]!;
        picks.push({ item: c.classes[k]!, prompt: c.classPrompt! });
      }
    }
    const b = picks.length;
    const [channels] = this.latentShape;
    const per = this.latentShape.reduce((a, d) => a * d, 1);
    const sf = this.model.checkpoint.vae.scaling_factor;
    const eps = gen.randn([b, ...this.latentShape]);
    const noise = gen.randn([b, ...this.latentShape]);
    const timesteps = gen.randint(0, this.ddpm.config.num_train_timesteps, [b]);
    const { noiseOffset, randomFlip, minSnrGamma } = this.augment;
    if (noiseOffset > 0) {
      // diffusers' --noise_offset: noise + offset · randn(b, c, 1, 1), a per-channel brightness shift.
      const shift = gen.randn([b, channels]);
      const plane = per / channels;
      for (let i = 0; i < noise.length; i++) noise[i] = noise[i]! + noiseOffset * shift[Math.floor(i / plane)]!;
    }
    const flips = randomFlip ? gen.rand([b]) : undefined;
    const latents = new Float32Array(b * per);
    picks.forEach((p, i) => {
      const dist = flips && flips[i]! < 0.5 ? p.item.flipped! : p.item.dist;
      for (let k = 0; k < per; k++) latents[i * per + k] = (dist.mean[k]! + dist.std[k]! * eps[i * per + k]!) * sf;
    });
    const noisy = this.ddpm.addNoise(latents, noise, timesteps);
    const target = this.predictionType === 'v_prediction' ? this.ddpm.getVelocity(latents, noise, timesteps) : noise;
    const lossWeights = minSnrGamma > 0 ? minSnrWeights(this.ddpm.alphasCumprod, timesteps.slice(0, this.batchSize), minSnrGamma, this.predictionType) : undefined;
    const inputIds = picks.map((p) => p.prompt.ids);
    const embs = picks.map((p) => p.prompt.emb).filter((e) => e !== undefined);
    if (embs.length < picks.length) return { noisyLatents: noisy, timesteps, inputIds, target, lossWeights };
    const context = new Float32Array(embs.reduce((n, e) => n + e.length, 0));
    embs.reduce((at, e) => (context.set(e, at), at + e.length), 0);
    return { noisyLatents: noisy, timesteps, context, inputIds, target, lossWeights };
  }
}
