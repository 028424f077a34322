// Every key of the concept file: where it may appear, its type, default, range and meaning. The
// validator, resolver, completions, hovers and docs all read this one table.
import { LR_SCHEDULERS, MIXED_PRECISION, SAMPLERS, TRAIN_METHODS } from '../protocol/vocabulary';
import type { BlockKind } from './ast';

export type ValueType =
  | { kind: 'string' }
  | { kind: 'prompt' }
  | { kind: 'path'; what: 'folder' | 'output' }
  | { kind: 'model' }
  | { kind: 'integer'; min: number; max: number; multipleOf?: number }
  | { kind: 'number'; min: number; max: number; minExclusive?: boolean }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[]; docs: Record<string, string> }
  | { kind: 'size'; min: number; max: number; multipleOf: number };

/** A static default; `null` means "none" and `computed` means the resolver derives it (see defaultText). */
export type DefaultValue = string | number | boolean | { width: number; height: number } | null | 'computed';

export interface KeySpec {
  name: string;
  type: ValueType;
  required: boolean;
  default: DefaultValue;
  /** How the default reads in docs (for computed defaults, the rule). */
  defaultText: string;
  doc: string;
  /** Example value inserted by completions. */
  example: string;
}

export type Scope = 'file' | BlockKind;

export interface BlockSpec {
  kind: BlockKind;
  /** Whether `kind NAME {` takes a name. */
  name: 'required' | 'optional' | 'none';
  multiple: boolean;
  doc: string;
  snippet: string;
}

const SAMPLER_DOCS: Record<(typeof SAMPLERS)[number], string> = {
  ddim: 'DDIM: deterministic, good at 30–50 steps.',
  pndm: 'PNDM/PLMS: Stable Diffusion 1.5’s original default, 50 steps.',
  euler: 'Euler: simple and fast, good at 20–30 steps.',
  euler_a: 'Euler ancestral: adds fresh noise each step; more varied, never fully converges.',
  dpmpp_2m: 'DPM-Solver++ (2M): sharp results in 20–30 steps.',
  dpmpp_2m_karras: 'DPM-Solver++ (2M) with Karras sigmas: often the best quality at 20–30 steps.',
};
const METHOD_DOCS: Record<(typeof TRAIN_METHODS)[number], string> = {
  lora: 'Train small low-rank adapters (a few MB); fast, little memory, exports a kohya LoRA.',
  full: 'Fine-tune every UNet weight (~3.4 GB); slow and memory-hungry, strongest identity.',
};

const int = (min: number, max: number, multipleOf?: number): ValueType => ({ kind: 'integer', min, max, multipleOf });
const num = (min: number, max: number, minExclusive = false): ValueType => ({ kind: 'number', min, max, minExclusive });

function key(
  name: string,
  type: ValueType,
  dflt: DefaultValue,
  doc: string,
  example: string,
  opts: { required?: boolean; defaultText?: string } = {},
): KeySpec {
  const defaultText =
    opts.defaultText ??
    (dflt === null
      ? 'none'
      : typeof dflt === 'object'
        ? `${dflt.width}x${dflt.height}`
        : typeof dflt === 'string' && type.kind !== 'enum'
          ? JSON.stringify(dflt)
          : String(dflt));
  return { name, type, required: opts.required ?? false, default: dflt, defaultText, doc, example };
}

export const BLOCKS: Record<BlockKind, BlockSpec> = {
  concept: {
    kind: 'concept',
    name: 'required',
    multiple: true,
    doc: 'A subject to teach the model. Its name is the rare identifier that stands for the subject in prompts (e.g. `sks`, `ohwx`); several concept blocks train several subjects at once.',
    snippet: 'concept ${1:ohwx} {\n\tinstance_prompt  "photo of ${1} ${2:person}"\n\tclass_prompt     "photo of a ${2}"\n\tinstance_images  "${3:./photos}"\n}',
  },
  train: {
    kind: 'train',
    name: 'none',
    multiple: false,
    doc: 'How to train. Every key has a default, so the block is optional.',
    snippet: 'train {\n\tmethod lora\n\tsteps  ${1:800}\n}',
  },
  generate: {
    kind: 'generate',
    name: 'optional',
    multiple: true,
    doc: 'A named set of generation settings; `dreambooth generate FILE --name NAME` and the "Generate" code lens run it, with the trained weights when they exist.',
    snippet: 'generate ${1:portrait} {\n\tprompt  "${2:portrait of ohwx person}"\n\tcount   4\n\tsteps   30\n\tsampler dpmpp_2m\n}',
  },
};

const MIXED_PRECISION_DOCS: Record<(typeof MIXED_PRECISION)[number], string> = {
  no: 'Float32 throughout.',
  fp16: 'Float16 compute with float32 trained weights and dynamic loss scaling (accelerate’s `--mixed_precision fp16`): about half the activation memory and faster on GPUs; steps whose gradients overflow are skipped.',
};

const LR_SCHEDULER_DOCS: Record<(typeof LR_SCHEDULERS)[number], string> = {
  constant: 'The same rate for the whole run (the DreamBooth scripts’ default); warm-up is ignored.',
  constant_with_warmup: 'Linear warm-up, then constant.',
  linear: 'Linear warm-up, then a straight line down to 0 at the last step.',
  cosine: 'Linear warm-up, then half a cosine down to 0 at the last step.',
  cosine_with_restarts: 'Linear warm-up, then a cosine from the peak down to 0 (one cycle, as the diffusers scripts use it).',
  polynomial: 'Linear warm-up, then a polynomial decay (power 1) to 1e-7.',
};

export const KEYS: Record<Scope, KeySpec[]> = {
  file: [
    key('model', { kind: 'model' }, 'runwayml/stable-diffusion-v1-5', 'The base Stable Diffusion 1.x model: a Hugging Face Hub repo id (`owner/name`), a local diffusers folder, or a single-file `.safetensors` or `.ckpt` checkpoint. Relative paths resolve against this file’s folder.', '"runwayml/stable-diffusion-v1-5"'),
    key('output', { kind: 'path', what: 'output' }, 'computed', 'Folder for everything training writes: prepared images, class images, checkpoints, samples, exports and logs.', '"./runs/NAME"', { defaultText: '"./runs" (set it when several concept files share a folder)' }),
  ],
  concept: [
    key('instance_prompt', { kind: 'prompt' }, null, 'The prompt that describes your photos, containing the concept’s identifier and its class noun, e.g. `"photo of ohwx person"`.', '"photo of ohwx person"', { required: true }),
    key('class_prompt', { kind: 'prompt' }, null, 'The prompt for the generic class, e.g. `"photo of a person"`. When set, prior preservation is on: images of the class are generated from the base model and trained alongside yours so the model does not forget what a generic person looks like.', '"photo of a person"', { defaultText: 'none (prior preservation off)' }),
    key('instance_images', { kind: 'path', what: 'folder' }, null, 'Folder with the photos of your subject (JPEG, PNG, WebP; any size — they are cropped and resized to `resolution` for you). 10–20 varied photos work best; at least 5.', '"./photos"', { required: true }),
    key('class_images', { kind: 'path', what: 'folder' }, 'computed', 'Folder of class images for prior preservation. Missing ones are generated from the base model until there are `num_class_images`.', '"./class/person"', { defaultText: '"<output>/class/<concept name>"' }),
    key('num_class_images', int(0, 10000), 200, 'How many class images prior preservation uses (ignored without `class_prompt`).', '200'),
  ],
  train: [
    key('method', { kind: 'enum', values: TRAIN_METHODS, docs: METHOD_DOCS }, 'lora', 'What to train: small LoRA adapters, or every UNet weight (and every text-encoder weight with `train_text_encoder`).', 'lora'),
    key('steps', int(1, 1_000_000), 800, 'Optimizer steps. About 100 per instance image is the usual starting point.', '800'),
    key('learning_rate', num(0, 1, true), 'computed', 'AdamW learning rate: too high burns the subject in, too low never learns it.', '1e-4', { defaultText: '1e-4 for lora, 5e-6 for full' }),
    key('lr_scheduler', { kind: 'enum', values: LR_SCHEDULERS, docs: LR_SCHEDULER_DOCS }, 'constant', 'How the learning rate changes over the run (diffusers’ schedules, after `lr_warmup_steps` of linear warm-up from 0).', 'constant'),
    key('lr_warmup_steps', int(0, 1_000_000), 0, 'Steps over which the learning rate rises linearly from 0 to `learning_rate` (ignored by `constant`). Must be fewer than `steps`.', '0'),
    key('max_grad_norm', num(0, 1000), 1.0, 'Clip the gradient’s global norm to this before each update, as the diffusers scripts do (0: no clipping).', '1.0'),
    key('batch_size', int(1, 64), 1, 'Instance images per step (each with a class image when prior preservation is on).', '1'),
    key('prior_loss_weight', num(0, 100), 1.0, 'Weight of the class-image loss relative to the instance loss.', '1.0'),
    key('gradient_accumulation_steps', int(1, 1024), 1, 'Add up the gradients of this many batches before each update: a larger effective batch in the memory of one (`steps` counts updates).', '1'),
    key('min_snr_gamma', num(0, 100), 0, 'Min-SNR loss weighting (Hang et al. 2023): weight each image’s loss by min(SNR, γ)/SNR so easy, low-noise timesteps count less; 5 is the usual value (0: off).', '5'),
    key('noise_offset', num(0, 1), 0, 'Add this times a per-channel random shift to the noise, so the model can learn very dark and very bright images (0.05–0.1 typical; 0: off).', '0.05'),
    key('random_flip', { kind: 'boolean' }, false, 'Mirror each training image left–right at random (doubles the variety; off for asymmetric subjects such as text or a side parting).', 'false'),
    key('train_text_encoder', { kind: 'boolean' }, false, 'Also train the CLIP text encoder (better identity, more memory): LoRA on its attention projections with method lora, every weight with method full.', 'false'),
    key('train_text_encoder_steps', int(0, 1_000_000), 0, 'Stop training the text encoder after this many steps and train only the UNet from there, as the popular notebooks do (0: the whole run).', '350'),
    key('mixed_precision', { kind: 'enum', values: MIXED_PRECISION, docs: MIXED_PRECISION_DOCS }, 'no', 'Train in float16 with loss scaling (for GPUs: WebGPU, CUDA). The CPU provider runs it too, without fast float16 kernels, so it is slower there than `no`.', 'fp16'),
    key('resolution', int(64, 2048, 8), 512, 'Square training resolution in pixels; a multiple of 8. Stable Diffusion 1.x was trained at 512.', '512'),
    key('seed', int(0, 2 ** 32 - 1), 42, 'Seed for noise, timesteps and data order, so a run can be repeated.', '42'),
    key('save_every', int(0, 1_000_000), 200, 'Save a resumable checkpoint and a sample image every this many steps (0: only at the end).', '200'),
    key('sample_prompt', { kind: 'prompt' }, 'computed', 'Prompt for the sample images rendered at each checkpoint.', '"photo of ohwx person"', { defaultText: 'the first concept’s instance_prompt' }),
    key('lora_rank', int(1, 1024), 4, 'Rank of the LoRA matrices (lora only): higher learns more detail and makes bigger files.', '4'),
    key('lora_alpha', num(0, 4096, true), 'computed', 'LoRA scale numerator: the update is scaled by lora_alpha / lora_rank (lora only).', '4', { defaultText: 'lora_rank (scale 1)' }),
  ],
  generate: [
    key('prompt', { kind: 'prompt' }, null, 'What to draw. Use the concept’s identifier and class noun, e.g. `"portrait of ohwx person, oil painting"`.', '"portrait of ohwx person"', { required: true }),
    key('negative_prompt', { kind: 'prompt' }, '', 'What to steer away from, e.g. `"blurry, lowres"`.', '"blurry, lowres"'),
    key('count', int(1, 1000), 4, 'Number of images to generate.', '4'),
    key('steps', int(1, 1000), 30, 'Denoising steps: more is slower and finer; 20–30 suit most samplers, 50 for pndm.', '30'),
    key('guidance', num(0, 50), 7.5, 'Classifier-free guidance scale: how strongly to follow the prompt (1 turns guidance off).', '7.5'),
    key('sampler', { kind: 'enum', values: SAMPLERS, docs: SAMPLER_DOCS }, 'dpmpp_2m', 'The sampler (scheduler) that turns noise into an image.', 'dpmpp_2m'),
    key('seed', int(0, 2 ** 32 - 1), 42, 'Seed of the first image; image i uses seed + i.', '42'),
    key('size', { kind: 'size', min: 64, max: 2048, multipleOf: 8 }, { width: 512, height: 512 }, 'Image size `WIDTHxHEIGHT` in pixels, multiples of 8. SD 1.x works best at 512x512.', '512x512'),
  ],
};

export function keySpec(scope: Scope, name: string): KeySpec | undefined {
  return KEYS[scope].find((k) => k.name === name);
}

/** One line describing a type, for messages and hovers. */
export function describeType(t: ValueType): string {
  switch (t.kind) {
    case 'string':
      return 'a string';
    case 'prompt':
      return 'a prompt (string)';
    case 'path':
      return 'a path (string)';
    case 'model':
      return 'a Hub repo id or a path (string)';
    case 'integer':
      return `an integer from ${t.min} to ${t.max}${t.multipleOf ? `, a multiple of ${t.multipleOf}` : ''}`;
    case 'number':
      return `a number ${t.minExclusive ? 'above' : 'from'} ${t.min} ${t.minExclusive ? 'up to' : 'to'} ${t.max}`;
    case 'boolean':
      return '`true` or `false`';
    case 'enum':
      return `one of ${t.values.map((v) => `\`${v}\``).join(', ')}`;
    case 'size':
      return `a size WIDTHxHEIGHT, each from ${t.min} to ${t.max} and a multiple of ${t.multipleOf}`;
  }
}

/** Markdown documentation of a key (hover, completion detail, README). */
export function keyMarkdown(scope: Scope, k: KeySpec): string {
  const where = scope === 'file' ? 'top level' : `\`${scope}\` block`;
  const lines = [
    `**${k.name}** — ${where}${k.required ? ', required' : ''}`,
    '',
    k.doc,
    '',
    `Type: ${describeType(k.type)}  `,
    `Default: ${k.required ? '— (required)' : k.defaultText}`,
  ];
  if (k.type.kind === 'enum') {
    lines.push('', ...k.type.values.map((v) => `- \`${v}\`: ${(k.type as { docs: Record<string, string> }).docs[v] ?? ''}`));
  }
  return lines.join('\n');
}
