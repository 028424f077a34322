// txt2img, the job behind `dreambooth generate` and the sidecar's generate request: open the model,
// encode the prompts once, then per image draw the initial latents from its own seed (seed, seed+1, ...
// as AUTOMATIC1111 numbers them, so each PNG's "Seed" reproduces it), denoise with classifier-free
// guidance, decode, and write a PNG carrying its parameters. Progress per step, cancellable between steps.
import { randomInt } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { resolveModel } from './model';
import type { GenerateParams } from '../../protocol/sidecar';
import { SAMPLERS, type ProviderName } from '../../protocol/vocabulary';
import { checkCancelled, type JobContext } from '../context/job-context';
import { formatParameters } from '../images/infotext';
import { writePng } from '../images/png';
import { TorchGenerator } from '../random/torch-generator';
import { openRuntime, type Runtime } from '../runtime/runtime';
import { createScheduler, type SchedulerConfig } from '../schedulers';
import { denoise } from '../pipeline/denoise';
import { encodePrompts } from '../pipeline/prompt';
import { SdModel } from '../pipeline/sd-model';

export class GenerateError extends Error {
  override name = 'GenerateError';
}

/** What the CLI adds to the protocol's parameters. */
export interface GenerateExtras {
  /** Initial latents [1 or count, C, h, w] instead of drawing them from the seed. */
  initialLatents?: { shape: number[]; data: Float32Array };
  /** Receives the final latents of each image (e.g. to save them). */
  onLatents?: (index: number, latents: Float32Array, shape: number[]) => Promise<void>;
  runtime?: Runtime;
  providers?: ProviderName[];
  /** For a single-file checkpoint that is not SD 1.x's standard size: a diffusers folder with its configs. */
  configsFrom?: string;
  /** Hard links / staged .onnx files (default: ~/.cache/dreambooth/onnx). */
  cacheDir?: string;
}

export function checkParams(p: GenerateParams): void {
  const bad = (m: string) => {
    throw new GenerateError(m);
  };
  if (!p.prompt && p.prompt !== '') bad('prompt is missing');
  if (!Number.isInteger(p.count) || p.count < 1) bad(`count must be a positive integer, got ${p.count}`);
  if (!Number.isInteger(p.steps) || p.steps < 1 || p.steps > 1000) bad(`steps must be an integer in 1..1000, got ${p.steps}`);
  if (!Number.isFinite(p.guidance) || p.guidance < 0) bad(`guidance must be a number >= 0, got ${p.guidance}`);
  if (!SAMPLERS.includes(p.sampler)) bad(`unknown sampler "${p.sampler}"; known: ${SAMPLERS.join(', ')}`);
  if (!Number.isInteger(p.seed)) bad(`seed must be an integer, got ${p.seed}`);
  for (const [k, v] of [['width', p.width], ['height', p.height]] as const)
    if (!Number.isInteger(v) || v < 8 || v % 8 !== 0 || v > 4096) bad(`${k} must be a multiple of 8 between 8 and 4096, got ${v}`);
  if (p.loraScale !== undefined && !Number.isFinite(p.loraScale)) bad(`loraScale must be a number, got ${p.loraScale}`);
  if (!p.outDir) bad('output folder is missing');
}

/** A1111's file names: NNNNN-SEED.png, numbered after the highest number already in the folder. */
async function nextIndex(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.reduce((n, f) => Math.max(n, /^(\d{5})-/.test(f) ? Number(f.slice(0, 5)) + 1 : n), 0);
}

export async function generate(params: GenerateParams, ctx: JobContext, extras: GenerateExtras = {}): Promise<string[]> {
  checkParams(params);
  const modelPath = await resolveModel(params.model, ctx, params.hfToken);
  ctx.progress({ phase: 'loading model', step: 0, total: 1 });
  const runtime = extras.runtime ?? (await openRuntime({ providers: extras.providers }));
  try {
    return await generateWith(runtime, modelPath, params, ctx, extras);
  } finally {
    if (!extras.runtime) await runtime.close();
  }
}

async function generateWith(runtime: Runtime, modelPath: string, params: GenerateParams, ctx: JobContext, extras: GenerateExtras): Promise<string[]> {
  const dtype = runtime.provider === 'cpu' ? 'float32' : 'float16';
  const lora = params.lora ? { path: resolve(params.lora), multiplier: params.loraScale ?? 1 } : undefined;
  const model = await SdModel.open(modelPath, runtime, { dtype, cacheDir: extras.cacheDir, lora, configsFrom: extras.configsFrom });
  try {
    await model.checkLora();
    const scale = model.vaeScale;
    if (params.width % scale || params.height % scale) throw new GenerateError(`width and height must be multiples of ${scale} for this model, got ${params.width}x${params.height}`);
    const shape = [1, model.checkpoint.unet.in_channels, params.height / scale, params.width / scale];
    const given = extras.initialLatents;
    if (given) {
      const [b, ...rest] = given.shape;
      if ((b !== 1 && b !== params.count) || rest.join(',') !== shape.slice(1).join(','))
        throw new GenerateError(`initial latents have shape [${given.shape.join(', ')}], expected [1 or ${params.count}, ${shape.slice(1).join(', ')}] for ${params.width}x${params.height}`);
    }
    const emb = await encodePrompts(model, params.prompt, params.negativePrompt);
    await model.release('text_encoder'); // its memory is better spent on the UNet (0.5 GB at SD 1.5 size)
    if (emb.truncated.prompt) ctx.log('warn', `the prompt is longer than CLIP's 77 tokens; ignored: "${emb.truncated.prompt}"`);
    if (emb.truncated.negativePrompt) ctx.log('warn', `the negative prompt is longer than 77 tokens; ignored: "${emb.truncated.negativePrompt}"`);
    await mkdir(params.outDir, { recursive: true });
    let index = await nextIndex(params.outDir);
    const images: string[] = [];
    const n = shape.reduce((a, b) => a * b, 1);
    // A negative seed asks for a random one (AUTOMATIC1111's -1); the PNGs record the seed used.
    const firstSeed = params.seed >= 0 ? params.seed : randomInt(2 ** 32 - params.count);
    if (params.seed < 0) ctx.log('info', `seed ${firstSeed}`);
    for (let i = 0; i < params.count; i++) {
      checkCancelled(ctx);
      const seed = firstSeed + i;
      const gen = new TorchGenerator(seed);
      const initial = given ? given.data.slice(given.shape[0] === 1 ? 0 : i * n, (given.shape[0] === 1 ? 0 : i * n) + n) : gen.randn(shape);
      const latents = await denoise({
        model,
        scheduler: createScheduler(params.sampler, model.checkpoint.scheduler as SchedulerConfig),
        steps: params.steps,
        guidance: params.guidance,
        cond: emb.cond,
        uncond: emb.uncond,
        initial,
        height: shape[2]!,
        width: shape[3]!,
        noise: gen,
        onStep: (s, total) => {
          checkCancelled(ctx);
          ctx.progress({ phase: 'denoising', step: i * total + s, total: params.count * total, message: `image ${i + 1}/${params.count}, step ${s}/${total}`, images: [...images] });
        },
      });
      await extras.onLatents?.(i, latents, shape);
      if (i === params.count - 1) await model.release('unet'); // done with it: its weights need not sit beside the VAE's decode
      ctx.progress({ phase: 'decoding', step: i + 1, total: params.count, images: [...images] });
      const decoded = await model.vaeDecode(latents, { batch: 1, height: shape[2]!, width: shape[3]! }, 1 / model.checkpoint.vae.scaling_factor);
      const info = formatParameters({
        prompt: params.prompt,
        negativePrompt: params.negativePrompt,
        steps: params.steps,
        sampler: params.sampler,
        cfgScale: params.guidance,
        seed,
        width: params.width,
        height: params.height,
        // The name the user gave (a Hub id's repo name, not its snapshot folder, which is a commit hash).
        modelName: basename((params.model || modelPath).replace(/@[^/\\]*$/, '')).replace(/\.(safetensors|ckpt|pt|pth|bin)$/i, ''),
        extra: lora ? { Lora: `${basename(lora.path).replace(/\.safetensors$/i, '')}:${lora.multiplier}` } : undefined,
      });
      const file = join(params.outDir, `${String(index++).padStart(5, '0')}-${seed}.png`);
      await writePng(file, decoded, params.width, params.height, info);
      images.push(file);
      ctx.progress({ phase: 'denoising', step: (i + 1) * params.steps, total: params.count * params.steps, images: [...images] });
    }
    return images;
  } finally {
    await model.close();
  }
}
