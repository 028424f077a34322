// `dreambooth generate`: images from a model, either from a concept file's `generate` block or from flags.
// Progress goes to stderr, one line per step; the PNG paths to stdout.
import { resolve } from 'node:path';
import type { GenerateParams } from '../../protocol/sidecar';
import { PROVIDERS, SAMPLERS, type SamplerName } from '../../protocol/vocabulary';
import { generateRequest, generationDefaults } from '../../language/resolve';
import { generate, type GenerateExtras } from '../jobs/generate';
import { readSafetensorsIndex, readTensorF32, writeSafetensors } from '../weights/safetensors';
import { numberFlag, parseArgs, printedHelp, providerFlag, type ParsedArgs } from './args';
import { runInTerminal } from './terminal';
import { UsageError } from './usage';

const HELP = `usage: dreambooth generate FILE.dreambooth [--name BLOCK] [--out DIR]
       dreambooth generate --prompt TEXT [--model PATH] [options] --out DIR

Generates images with Stable Diffusion 1.x and writes PNGs that carry their parameters
(AUTOMATIC1111 "parameters" chunk). With a concept file, the settings come from its
generate block (--name picks one when there are several).

options:
  --model PATH            diffusers folder or single-file .safetensors/.ckpt (default: the bundled
                          world model, which draws 64x64 shapes of the procedural world)
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
  --no-lora               generate from the base model even when training left a LoRA or a model
  --lora-scale F          its strength (default 1)
  --configs-from DIR      for a single-file checkpoint of another size than SD 1.x's: a diffusers
                          folder whose unet/vae/text_encoder/scheduler configs describe it
  --provider NAME         ${PROVIDERS.join(' | ')} (default: the best available)
`;

const SPEC = {
  values: ['model', 'prompt', 'negative-prompt', 'count', 'steps', 'guidance', 'sampler', 'seed', 'width', 'height', 'out', 'latents', 'save-latents', 'provider', 'name', 'lora', 'lora-scale', 'configs-from'],
  switches: ['no-lora'],
  help: HELP,
} as const;
type Args = ParsedArgs<(typeof SPEC.values)[number], (typeof SPEC.switches)[number]>;
type Flags = Args['flags'];

const int = (flags: Flags, name: keyof Flags, fallback: number) => numberFlag(flags[name], name, fallback, { integer: true });
const real = (flags: Flags, name: keyof Flags, fallback: number) => numberFlag(flags[name], name, fallback, { integer: false });

async function paramsFromConceptFile(file: string, { flags, on }: Args): Promise<GenerateParams> {
  const { loadConcept } = await import('../../language/load');
  const { concept } = loadConcept(file);
  const names = Object.keys(concept.generate);
  if (names.length === 0) throw new UsageError(`${file} has no generate block`);
  const name = flags.name ?? (names.length === 1 ? names[0]! : undefined);
  if (!name) throw new UsageError(`${file} has several generate blocks (${names.join(', ')}); pick one with --name`);
  if (!concept.generate[name]) throw new UsageError(`${file} has no generate block named "${name}" (it has ${names.join(', ')})`);
  const params = generateRequest(concept, name, resolve(file));
  const trained = params.lora ? `LoRA ${params.lora}` : params.model !== concept.model ? `model ${params.model}` : undefined;
  if (on.has('no-lora') || flags.lora || flags.model) Object.assign(params, { lora: undefined, model: concept.model });
  else if (trained) process.stderr.write(`using the trained ${trained} (--no-lora to generate with the base model)\n`);
  if (flags.model) params.model = flags.model;
  if (flags.out) params.outDir = resolve(flags.out);
  return params;
}

function paramsFromFlags(flags: Flags): GenerateParams {
  if (flags.prompt === undefined) throw new UsageError(`--prompt is required (or give a concept file)\n\n${HELP}`);
  if (!flags.out) throw new UsageError('--out DIR is required');
  const d = generationDefaults(); // the concept file's generate defaults: one source for the CLI and the language
  const sampler = (flags.sampler ?? d.sampler) as SamplerName;
  if (!SAMPLERS.includes(sampler)) throw new UsageError(`--sampler must be one of ${SAMPLERS.join(', ')}, got "${sampler}"`);
  return {
    model: flags.model ?? '',
    prompt: flags.prompt,
    negativePrompt: flags['negative-prompt'] ?? '',
    count: int(flags, 'count', 1),
    steps: int(flags, 'steps', d.steps),
    guidance: real(flags, 'guidance', d.guidance),
    sampler,
    seed: int(flags, 'seed', d.seed),
    width: int(flags, 'width', d.width),
    height: int(flags, 'height', d.height),
    outDir: resolve(flags.out),
  };
}

export async function main(args: string[]): Promise<number> {
  if (printedHelp(args, HELP)) return 0;
  const parsed = parseArgs(args, SPEC);
  const { flags, positional } = parsed;
  if (positional.length > 1) throw new UsageError(`one concept file at most, got ${positional.join(', ')}`);
  const params = positional.length ? await paramsFromConceptFile(positional[0]!, parsed) : paramsFromFlags(flags);
  if (flags.lora) params.lora = resolve(flags.lora);
  params.loraScale = real(flags, 'lora-scale', 1);
  const extras: GenerateExtras = { configsFrom: flags['configs-from'] && resolve(flags['configs-from']), providers: providerFlag(flags.provider) };
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
  const images = await runInTerminal({ run: (ctx) => generate(params, ctx, extras), onInterrupt: 'cancelling after this step…', onCancelled: 'cancelled' });
  if (images === 130) return images;
  if (flags['save-latents']) {
    const all = new Float32Array(saved.reduce((n, l) => n + l.length, 0));
    saved.reduce((at, l) => (all.set(l, at), at + l.length), 0);
    await writeSafetensors(resolve(flags['save-latents']), { latents: { dtype: 'F32', shape: [saved.length, ...savedShape.slice(1)], data: all } });
  }
  process.stdout.write(images.map((p) => `${p}\n`).join(''));
  return 0;
}
