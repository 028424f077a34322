// The training set held in memory: per concept, the VAE latent distributions of its instance and
// class images (encoded once; a fresh latent is sampled from each every step, as diffusers'
// latent_dist.sample()) and its two prompts: embedded once when the text encoder is frozen, as token
// ids when it is trained in the step.
// `batchAt(step)` draws a step's batch deterministically from (seed, step), so a resumed run draws
// exactly what an uninterrupted one would have.
import type { ConceptBlock } from '../../language/resolve';
import type { SdModel } from '../pipeline/sd-model';
import { tokenizerFor } from '../pipeline/prompt';
import { TorchGenerator } from '../random/torch-generator';
import { DdpmScheduler } from '../schedulers/ddpm';
import type { SchedulerConfig } from '../schedulers/config';
import type { PreparedImage } from './images';
import type { StepBatch } from './trainer';

interface LatentDist {
  mean: Float32Array;
  std: Float32Array;
}
interface ConceptData {
  instance: LatentDist[];
  classes: LatentDist[];
  /** Embedding (frozen text encoder) or token ids (trained) of each prompt. */
  instancePrompt: Prompt;
  classPrompt?: Prompt;
}
interface Prompt {
  emb?: Float32Array;
  ids: number[];
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
  ) {}

  static async build(
    model: SdModel,
    concepts: { block: ConceptBlock; instance: PreparedImage[]; classes: PreparedImage[] }[],
    o: { resolution: number; seed: number; batchSize: number; conditioning?: 'context' | 'input_ids'; onImage?: (done: number, total: number) => void },
  ): Promise<TrainingData> {
    const res = o.resolution;
    const tok = await tokenizerFor(model);
    const prompt = async (text: string): Promise<Prompt> => {
      const ids = tok.encode(text).ids;
      return o.conditioning === 'input_ids' ? { ids } : { ids, emb: (await model.encodeText([ids])).last_hidden_state! };
    };
    const total = concepts.reduce((n, c) => n + c.instance.length + c.classes.length, 0);
    let done = 0;
    const encode = async (img: PreparedImage): Promise<LatentDist> => {
      const out = await model.vaeEncode(img.pixels, { batch: 1, height: res, width: res });
      o.onImage?.(++done, total);
      return { mean: out.mean!, std: out.std! };
    };
    const data: ConceptData[] = [];
    for (const c of concepts) {
      const instance: LatentDist[] = [];
      for (const img of c.instance) instance.push(await encode(img));
      const classes: LatentDist[] = [];
      for (const img of c.classes) classes.push(await encode(img));
      const withClass = c.block.classPrompt !== null && classes.length > 0;
      data.push({ instance, classes, instancePrompt: await prompt(c.block.instancePrompt), classPrompt: withClass ? await prompt(c.block.classPrompt!) : undefined });
    }
    const withPrior = data.every((d) => d.classPrompt !== undefined);
    const s = res / model.vaeScale;
    const ddpm = new DdpmScheduler(model.checkpoint.scheduler as SchedulerConfig);
    return new TrainingData(data, model, o.seed, o.batchSize, withPrior, [model.checkpoint.unet.in_channels, s, s], ddpm);
  }

  get predictionType(): string {
    return this.ddpm.config.prediction_type;
  }

  /** The batch of optimizer step `step` (0-based): instance items, then as many class items with prior preservation. */
  batchAt(step: number): StepBatch {
    const gen = new TorchGenerator(BigInt(this.seed) * 1_000_003n + BigInt(step));
    const picks: { dist: LatentDist; prompt: Prompt }[] = [];
    const pool = this.concepts.flatMap((c) => c.instance.map((dist) => ({ dist, c })));
    const chosen = gen.randint(0, pool.length, [this.batchSize]).map((i) => pool[i]!);
    for (const { dist, c } of chosen) picks.push({ dist, prompt: c.instancePrompt });
    if (this.withPrior) {
      for (const { c } of chosen) {
        const k = gen.randint(0, c.classes.length, [1])[0]!;
        picks.push({ dist: c.classes[k]!, prompt: c.classPrompt! });
      }
    }
    const b = picks.length;
    const per = this.latentShape.reduce((a, d) => a * d, 1);
    const sf = this.model.checkpoint.vae.scaling_factor;
    const eps = gen.randn([b, ...this.latentShape]);
    const latents = new Float32Array(b * per);
    picks.forEach((p, i) => {
      for (let k = 0; k < per; k++) latents[i * per + k] = (p.dist.mean[k]! + p.dist.std[k]! * eps[i * per + k]!) * sf;
    });
    const noise = gen.randn([b, ...this.latentShape]);
    const timesteps = gen.randint(0, this.ddpm.config.num_train_timesteps, [b]);
    const noisy = this.ddpm.addNoise(latents, noise, timesteps);
    const target = this.predictionType === 'v_prediction' ? this.ddpm.getVelocity(latents, noise, timesteps) : noise;
    const inputIds = picks.map((p) => p.prompt.ids);
    const embs = picks.map((p) => p.prompt.emb).filter((e) => e !== undefined);
    if (embs.length < picks.length) return { noisyLatents: noisy, timesteps, inputIds, target };
    const context = new Float32Array(embs.reduce((n, e) => n + e.length, 0));
    embs.reduce((at, e) => (context.set(e, at), at + e.length), 0);
    return { noisyLatents: noisy, timesteps, context, inputIds, target };
  }
}
