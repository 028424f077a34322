// `dreambooth generate`: images from a model, either from a concept file's `generate` block or from flags.
// Progress goes to stderr, one line per step; the PNG paths to stdout.
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import type { GenerateParams } from '../../protocol/sidecar';
import { PROVIDERS, SAMPLERS, type ProviderName, type SamplerName } from '../../protocol/vocabulary';
import { keySpec } from '../../language/schema';
import { generate, type GenerateExtras } from '../pipeline/generate';
import { JobCancelled, type JobContext } from '../jobs/context';
import { readSafetensorsIndex, readTensorF32, writeSafetensors } from '../weights/safetensors';
import { UsageError } from './usage';

const HELP = `usage: dreambooth generate FILE.dreambooth [--name BLOCK] [--out DIR]
       dreambooth generate --prompt TEXT [--model PATH] [options] --out DIR

Generates images with Stable Diffusion 1.x and writes PNGs that carry their parameters
(AUTOMATIC1111 "parameters" chunk). With a concept file, the settings come from its
generate block (--name picks one when there are several).

options:
  --model PATH            diffusers folder or single-file .safetensors (default: the bundled
                          tiny model, whose random weights make noise images)
  --prompt TEXT           what to draw
  --negative-prompt TEXT  what to steer away from
  --count N               number of images (image i uses seed + i)
  --steps N               denoising steps
  --guidance F            classifier-free guidance scale (<= 1 turns it off)
  --sampler NAME          ${SAMPLERS.join(' | ')}
  --seed N                seed of the first image (-1: a random one)
  --width W --height H    image size, multiples of 8
  --out DIR               output folder
  --latents FILE          initial latents (.safetensors, tensor "latents" [1 or count, 4, H/8, W/8])
  --save-latents FILE     write the final latents (tensor "latents" [count, 4, H/8, W/8])
  --lora FILE             a kohya-format LoRA (.safetensors) merged into the model; with a concept
                          file, the LoRA its training exported is used when it exists
  --no-lora               generate from the base model even when a trained LoRA exists
  --lora-scale F          its strength (default 1)
  --configs-from DIR      for a single-file checkpoint of another size than SD 1.x's: a diffusers
                          folder whose unet/vae/text_encoder/scheduler configs describe it
  --provider NAME         ${PROVIDERS.join(' | ')} (default: the best available)
`;

const FLAGS = ['model', 'prompt', 'negative-prompt', 'count', 'steps', 'guidance', 'sampler', 'seed', 'width', 'height', 'out', 'latents', 'save-latents', 'provider', 'name', 'lora', 'lora-scale', 'no-lora', 'configs-from'] as const;
type Flag = (typeof FLAGS)[number];

function parseArgs(args: string[]): { flags: Partial<Record<Flag, string>>; files: string[] } {
  const flags: Partial<Record<Flag, string>> = {};
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      files.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!FLAGS.includes(name as Flag)) throw new UsageError(`unknown option "--${name}"\n\n${HELP}`);
    if (name === 'no-lora') {
      flags['no-lora'] = '';
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags[name as Flag] = value;
  }
  return { flags, files };
}

function num(flags: Partial<Record<Flag, string>>, name: Flag, fallback: number, integer: boolean): number {
  const v = flags[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got "${v}"`);
  return n;
}

/** Defaults of the concept file's generate block: one source for the CLI and the language. */
function schemaDefault<T>(key: string): T {
  return keySpec('generate', key)!.default as T;
}

/**
 * The LoRA a `dreambooth train` run of this concept file exported (exports/<concepts>.safetensors,
 * named as sidecar/jobs/train.ts names the run), when it exists.
 */
async function trainedLora(file: string, concept: { output: string; concepts: { name: string }[] }): Promise<string | undefined> {
  const { trainFiles } = await import('../training/layout');
  const name = concept.concepts.map((c) => c.name).join('+') || basename(file, extname(file));
  const final = trainFiles(concept.output, name).final;
  return existsSync(final) ? final : undefined;
}

async function paramsFromConceptFile(file: string, flags: Partial<Record<Flag, string>>): Promise<GenerateParams> {
  const { loadConcept } = await import('../../language/load');
  const { runLayout } = await import('../../language/resolve');
  const { concept } = loadConcept(file);
  const names = Object.keys(concept.generate);
  if (names.length === 0) throw new UsageError(`${file} has no generate block`);
  const name = flags.name ?? (names.length === 1 ? names[0]! : undefined);
  if (!name) throw new UsageError(`${file} has several generate blocks (${names.join(', ')}); pick one with --name`);
  const g = concept.generate[name];
  if (!g) throw new UsageError(`${file} has no generate block named "${name}" (it has ${names.join(', ')})`);
  const lora = flags['no-lora'] !== undefined || flags.lora ? undefined : await trainedLora(file, concept);
  if (lora) process.stderr.write(`using the trained LoRA ${lora} (--no-lora to generate without it)\n`);
  return {
    lora,
    model: flags.model ?? concept.model,
    prompt: g.prompt,
    negativePrompt: g.negativePrompt,
    count: g.count,
    steps: g.steps,
    guidance: g.guidance,
    sampler: g.sampler,
    seed: g.seed,
    width: g.width,
    height: g.height,
    outDir: resolve(flags.out ?? runLayout(concept.output).generated(name)),
  };
}

function paramsFromFlags(flags: Partial<Record<Flag, string>>): GenerateParams {
  if (flags.prompt === undefined) throw new UsageError(`--prompt is required (or give a concept file)\n\n${HELP}`);
  if (!flags.out) throw new UsageError('--out DIR is required');
  const sampler = (flags.sampler ?? schemaDefault<SamplerName>('sampler')) as SamplerName;
  if (!SAMPLERS.includes(sampler)) throw new UsageError(`--sampler must be one of ${SAMPLERS.join(', ')}, got "${sampler}"`);
  const size = schemaDefault<{ width: number; height: number }>('size');
  return {
    model: flags.model ?? '',
    prompt: flags.prompt,
    negativePrompt: flags['negative-prompt'] ?? '',
    count: num(flags, 'count', 1, true),
    steps: num(flags, 'steps', schemaDefault<number>('steps'), true),
    guidance: num(flags, 'guidance', schemaDefault<number>('guidance'), false),
    sampler,
    seed: num(flags, 'seed', schemaDefault<number>('seed'), true),
    width: num(flags, 'width', size.width, true),
    height: num(flags, 'height', size.height, true),
    outDir: resolve(flags.out),
  };
}

/** A job context for the terminal: progress and log lines on stderr, Ctrl-C cancels between steps. */
function terminalContext(): { ctx: JobContext; dispose: () => void } {
  const abort = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ncancelling after this step…\n');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  const ctx: JobContext = {
    signal: abort.signal,
    log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
    progress: (p) => {
      if (p.phase === 'denoising' && p.message) process.stderr.write(`${p.phase} ${p.step}/${p.total}: ${p.message}\n`);
      else if (p.phase !== 'denoising') process.stderr.write(`${p.phase}…\n`);
    },
  };
  return { ctx, dispose: () => process.removeListener('SIGINT', onSigint) };
}

export async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const { flags, files } = parseArgs(args);
  if (files.length > 1) throw new UsageError(`one concept file at most, got ${files.join(', ')}`);
  const params = files.length ? await paramsFromConceptFile(files[0]!, flags) : paramsFromFlags(flags);
  if (flags.lora) params.lora = resolve(flags.lora);
  const extras: GenerateExtras = { loraMultiplier: num(flags, 'lora-scale', 1, false), configsFrom: flags['configs-from'] && resolve(flags['configs-from']) };
  if (flags.provider) {
    if (!PROVIDERS.includes(flags.provider as ProviderName)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
    extras.providers = [flags.provider as ProviderName];
  }
  if (flags.latents) {
    const idx = await readSafetensorsIndex(flags.latents);
    if (!idx.tensors.has('latents')) throw new UsageError(`${flags.latents} has no tensor named "latents" (it has ${[...idx.tensors.keys()].slice(0, 5).join(', ')})`);
    extras.initialLatents = await readTensorF32(idx, 'latents');
  }
  const saved: Float32Array[] = [];
  let savedShape: number[] = [];
  if (flags['save-latents']) {
    extras.onLatents = async (_i, latents, shape) => {
      saved.push(latents);
      savedShape = shape;
    };
  }
  const { ctx, dispose } = terminalContext();
  try {
    const images = await generate(params, ctx, extras);
    if (flags['save-latents']) {
      const all = new Float32Array(saved.reduce((n, l) => n + l.length, 0));
      saved.reduce((at, l) => (all.set(l, at), at + l.length), 0);
      await writeSafetensors(resolve(flags['save-latents']), { latents: { dtype: 'F32', shape: [saved.length, ...savedShape.slice(1)], data: all } });
    }
    process.stdout.write(images.map((p) => `${p}\n`).join(''));
    return 0;
  } catch (e) {
    if (e instanceof JobCancelled) {
      process.stderr.write('cancelled\n');
      return 130;
    }
    throw e;
  } finally {
    dispose();
  }
}
