// From a parsed concept file to the typed, fully-defaulted configuration the trainer and
// `dreambooth generate FILE` consume. Values the validator rejects fall back to their defaults here,
// so callers must refuse files with errors first (see load.ts).
import { existsSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import type { GenerateParams, GenerationSettings } from '../protocol/sidecar';
import type { ExportFormat, LrSchedulerName, MixedPrecision, SamplerName, TrainMethod } from '../protocol/vocabulary';
import type { Block, ConceptDoc, Property, Value } from './ast';
import { KEYS, keySpec, type Scope, type ValueType } from './schema';

export interface ConceptBlock {
  /** The identifier (block name), e.g. "ohwx". */
  name: string;
  instancePrompt: string;
  /** null: prior preservation off. */
  classPrompt: string | null;
  instanceImages: string;
  classImages: string;
  numClassImages: number;
}
export interface TrainBlock {
  method: TrainMethod;
  steps: number;
  learningRate: number;
  lrScheduler: LrSchedulerName;
  lrWarmupSteps: number;
  /** 0: no clipping. */
  maxGradNorm: number;
  batchSize: number;
  priorLossWeight: number;
  gradientAccumulationSteps: number;
  /** 0: off. */
  minSnrGamma: number;
  /** 0: off. */
  noiseOffset: number;
  randomFlip: boolean;
  trainTextEncoder: boolean;
  /** 0: the whole run. */
  trainTextEncoderSteps: number;
  mixedPrecision: MixedPrecision;
  resolution: number;
  seed: number;
  saveEvery: number;
  samplePrompt: string;
  loraRank: number;
  loraAlpha: number;
}
/** A `generate` block: exactly the settings a generate job takes. */
export type GenerateBlock = GenerationSettings;
export interface ResolvedConcept {
  /** Hub repo id, or an absolute path (see modelIsPath). */
  model: string;
  modelIsPath: boolean;
  output: string;
  concepts: ConceptBlock[];
  train: TrainBlock;
  /** By block name; an unnamed `generate { }` is "default". */
  generate: Record<string, GenerateBlock>;
}

export const DEFAULT_GENERATE_NAME = 'default';
/** Default `output`, relative to the file: the same for every caller, whatever it knows of the file's name. */
export const DEFAULT_OUTPUT = './runs';
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** Whether a `model` value names a path rather than a Hub repo id. */
export function modelLooksLikePath(model: string, fileDir?: string): boolean {
  if (/^(\.{1,2}([\\/]|$)|[\\/]|~[\\/]|[A-Za-z]:[\\/])/.test(model)) return true;
  if (/\.(safetensors|ckpt|bin)$/i.test(model)) return true;
  if (fileDir && existsSync(resolve(fileDir, model))) return true;
  return !HUB_ID.test(model);
}

/** A path from the file made absolute: `~/` is the home folder, relative is against the file's folder. */
export function absolutePath(p: string, fileDir: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  return isAbsolute(p) ? p : resolve(fileDir, p);
}

/** Whether a value fits a type (the validator says why not; here we only need yes or no). */
export function valueFits(v: Value, t: ValueType): boolean {
  switch (t.kind) {
    case 'string':
    case 'prompt':
    case 'path':
    case 'model':
      return v.kind === 'string';
    case 'integer':
      return v.kind === 'number' && Number.isInteger(v.value) && v.value >= t.min && v.value <= t.max && (!t.multipleOf || v.value % t.multipleOf === 0);
    case 'number':
      return v.kind === 'number' && Number.isFinite(v.value) && (t.minExclusive ? v.value > t.min : v.value >= t.min) && v.value <= t.max;
    case 'boolean':
      return v.kind === 'boolean';
    case 'enum':
      return v.kind === 'ident' && t.values.includes(v.value);
    case 'size':
      return v.kind === 'size' && [v.width, v.height].every((n) => n >= t.min && n <= t.max && n % t.multipleOf === 0);
  }
}

/** Reads the valid values of one block (or the top level); the last occurrence of a key wins. */
class Reader {
  private readonly values = new Map<string, Value>();
  constructor(
    private readonly scope: Scope,
    props: Property[],
  ) {
    for (const p of props) {
      const spec = keySpec(scope, p.key);
      if (spec && p.value && valueFits(p.value, spec.type)) this.values.set(p.key, p.value);
    }
  }
  private spec(name: string) {
    const s = keySpec(this.scope, name);
    if (!s) throw new Error(`internal: no key ${this.scope}.${name} in the schema`);
    return s;
  }
  has(name: string): boolean {
    return this.values.has(name);
  }
  str(name: string, fallback?: string): string {
    const v = this.values.get(name);
    if (v?.kind === 'string' || v?.kind === 'ident') return v.value;
    const d = this.spec(name).default;
    return typeof d === 'string' && d !== 'computed' ? d : (fallback ?? '');
  }
  num(name: string, fallback = 0): number {
    const v = this.values.get(name);
    if (v?.kind === 'number') return v.value;
    const d = this.spec(name).default;
    return typeof d === 'number' ? d : fallback;
  }
  bool(name: string): boolean {
    const v = this.values.get(name);
    if (v?.kind === 'boolean') return v.value;
    return this.spec(name).default === true;
  }
  size(name: string): { width: number; height: number } {
    const v = this.values.get(name);
    if (v?.kind === 'size') return { width: v.width, height: v.height };
    const d = this.spec(name).default;
    return typeof d === 'object' && d !== null ? d : { width: 512, height: 512 };
  }
}

/** The fully-defaulted configuration; relative paths resolve against `fileDir`, the file's folder. */
export function resolveConcept(doc: ConceptDoc, fileDir: string): ResolvedConcept {
  const top = new Reader('file', doc.properties);
  const model = top.str('model');
  const modelIsPath = modelLooksLikePath(model, fileDir);
  const output = absolutePath(top.has('output') ? top.str('output') : DEFAULT_OUTPUT, fileDir);

  const blocks = (kind: Block['kind']) => doc.blocks.filter((b) => b.kind === kind);
  const concepts = blocks('concept').map((b, i): ConceptBlock => {
    const r = new Reader('concept', b.properties);
    const name = b.name ?? `concept${i + 1}`;
    const classPrompt = r.has('class_prompt') ? r.str('class_prompt') : null;
    return {
      name,
      instancePrompt: r.str('instance_prompt'),
      classPrompt,
      instanceImages: absolutePath(r.str('instance_images', '.'), fileDir),
      classImages: r.has('class_images') ? absolutePath(r.str('class_images'), fileDir) : runLayout(output).classImages(name),
      numClassImages: classPrompt === null ? 0 : r.num('num_class_images'),
    };
  });

  const t = new Reader('train', blocks('train')[0]?.properties ?? []);
  const method = t.str('method') as TrainMethod;
  const loraRank = t.num('lora_rank');
  const train: TrainBlock = {
    method,
    steps: t.num('steps'),
    learningRate: t.has('learning_rate') ? t.num('learning_rate') : method === 'full' ? 5e-6 : 1e-4,
    lrScheduler: t.str('lr_scheduler') as LrSchedulerName,
    lrWarmupSteps: t.num('lr_warmup_steps'),
    maxGradNorm: t.num('max_grad_norm'),
    batchSize: t.num('batch_size'),
    priorLossWeight: t.num('prior_loss_weight'),
    gradientAccumulationSteps: t.num('gradient_accumulation_steps'),
    minSnrGamma: t.num('min_snr_gamma'),
    noiseOffset: t.num('noise_offset'),
    randomFlip: t.bool('random_flip'),
    trainTextEncoder: t.bool('train_text_encoder'),
    trainTextEncoderSteps: t.num('train_text_encoder_steps'),
    mixedPrecision: t.str('mixed_precision') as MixedPrecision,
    resolution: t.num('resolution'),
    seed: t.num('seed'),
    saveEvery: t.num('save_every'),
    samplePrompt: t.has('sample_prompt') ? t.str('sample_prompt') : (concepts[0]?.instancePrompt ?? ''),
    loraRank,
    loraAlpha: t.has('lora_alpha') ? t.num('lora_alpha') : loraRank,
  };

  const generate: Record<string, GenerateBlock> = {};
  for (const b of blocks('generate')) {
    const name = b.name ?? DEFAULT_GENERATE_NAME;
    if (name in generate) continue; // duplicates are reported by the validator; the first wins
    generate[name] = generationSettings(b.properties);
  }
  return { model: modelIsPath ? absolutePath(model, fileDir) : model, modelIsPath, output, concepts, train, generate };
}

/**
 * Where a run's files go inside `output`: one convention for the trainer, the generate job and the
 * extension, so that each finds what the others wrote.
 */
/** A generate block's settings: its values, the schema's defaults for the rest. */
function generationSettings(properties: Property[]): GenerationSettings {
  const g = new Reader('generate', properties);
  const { width, height } = g.size('size');
  return {
    prompt: g.str('prompt'),
    negativePrompt: g.str('negative_prompt'),
    count: g.num('count'),
    steps: g.num('steps'),
    guidance: g.num('guidance'),
    sampler: g.str('sampler') as SamplerName,
    seed: g.num('seed'),
    width,
    height,
  };
}

/** The schema's generate defaults (what an empty generate block means): one source for the gallery,
 *  sample images and class images. */
export function generationDefaults(): GenerationSettings {
  return generationSettings([]);
}

/** What a file in a run's exports/ folder is, read back from the names runLayout gives (exportedLora,
 *  exportTarget): a merged checkpoint, else a LoRA (one the user put there too); undefined for what is
 *  neither (a diffusers folder, optimizer state, other files). */
export function exportKindOf(name: string): 'lora' | 'checkpoint' | undefined {
  if (!/\.safetensors$/i.test(name) || name.endsWith('.optimizer.safetensors')) return undefined;
  return /-checkpoint(-fp16)?\.safetensors$/i.test(name) ? 'checkpoint' : 'lora';
}

export function runLayout(output: string) {
  return {
    prepared: (concept: string) => join(output, 'prepared', concept),
    /** What the last prepare found per photo (protocol/prepared.ts). */
    preparedReport: join(output, 'prepared', 'report.json'),
    /** Default class_images of a concept. */
    classImages: (concept: string) => join(output, 'class', concept),
    checkpoints: join(output, 'checkpoints'),
    samples: join(output, 'samples'),
    exports: join(output, 'exports'),
    /** The LoRA a finished training run exported (kohya format). */
    exportedLora: (run: string) => join(output, 'exports', `${run}.safetensors`),
    /** Where `export` writes by default: exports/<run>-<format>[-fp16](.safetensors | a folder for diffusers). */
    exportTarget: (run: string, format: ExportFormat, half: boolean) => join(output, 'exports', `${run}-${format}${half ? '-fp16' : ''}${format === 'diffusers' ? '' : '.safetensors'}`),
    logs: join(output, 'logs'),
    generated: (block: string) => join(output, 'generate', block),
    // Training run files the extension reads too (protocol/training-run.ts):
    trainLog: join(output, 'logs', 'train.jsonl'),
    lock: join(output, 'train.lock'),
    /** The settings a concept file's run was trained with (resume checks them); one per concept file,
     *  so concept files sharing an output folder never continue each other's run. */
    settings: (conceptFile: string) => join(output, 'checkpoints', `${basename(conceptFile, extname(conceptFile))}.settings.json`),
    /** The sample images of the checkpoint at `step`. */
    samplesAt: (step: number) => join(output, 'samples', `${SAMPLE_FOLDER}${String(step).padStart(6, '0')}`),
    /** Where training from scratch moves a previous run (a folder per time). */
    previous: join(output, 'previous'),
  };
}

const SAMPLE_FOLDER = 'step-';
/** The step of a samples/ subfolder's name (step-000200 → 200); undefined for anything else. */
export function sampleFolderStep(name: string): number | undefined {
  const m = /^step-(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** A training run's name: its concepts' identifiers ("ohwx", "ohwx+sks"), else the file's name. */
export function runName(concept: ResolvedConcept, conceptFile: string): string {
  return concept.concepts.map((c) => c.name).join('+') || basename(conceptFile, extname(conceptFile));
}

/** What a finished run left to generate with: its LoRA export (method lora), or a full run's merged
 *  checkpoint (the newer of the float32 and float16 one), whichever exists. */
export function trainedResult(concept: ResolvedConcept, conceptFile: string): { lora: string } | { model: string } | undefined {
  const layout = runLayout(concept.output);
  const run = runName(concept, conceptFile);
  const lora = layout.exportedLora(run);
  if (existsSync(lora)) return { lora };
  const merged = [false, true].map((half) => layout.exportTarget(run, 'checkpoint', half)).filter((f) => existsSync(f));
  const newest = merged.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  return newest ? { model: newest } : undefined;
}

/**
 * The generate job for one `generate` block: its settings, the model, the block's output folder, and
 * what training left when there is something (trainedResult): the LoRA on the model, or the fully
 * trained model in its place. The caller adds the Hub token.
 */
export function generateRequest(concept: ResolvedConcept, block: string, conceptFile: string): GenerateParams {
  const g = concept.generate[block];
  if (!g) throw new Error(`${conceptFile} has no generate block named "${block}"`);
  return {
    ...g,
    model: concept.model,
    outDir: runLayout(concept.output).generated(block),
    ...trainedResult(concept, conceptFile),
  };
}

/** Every key name in one scope, in schema order. */
export function keyNames(scope: Scope): string[] {
  return KEYS[scope].map((k) => k.name);
}
