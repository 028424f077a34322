// Prior-preservation class images: a concept's class folder is topped up to num_class_images by
// generating the missing ones from class_prompt with the base model. Shared by the train and prepare
// jobs so both fill the folder the same way.
import { generationDefaults, type ConceptBlock, type ResolvedConcept } from '../../language/resolve';
import type { SamplerName } from '../../protocol/vocabulary';
import { generate } from './generate';
import type { Runtime } from '../runtime/runtime';
import type { JobContext } from '../context/job-context';
import { listImages } from '../training/images';

export interface ClassImageOptions {
  /** Square size of the generated images (the train block's resolution). */
  resolution: number;
  seed: number;
  steps: number;
  guidance: number;
  sampler: SamplerName;
  runtime?: Runtime;
  cacheDir?: string;
}

export interface ClassTopUp {
  folder: string;
  /** Images that were already there. */
  existing: number;
  /** Paths of the images generated now. */
  generated: string[];
}

/** Sampler settings of the concept file's first generate block (else defaults), seed and size of its train block. */
export function classImageOptions(concept: ResolvedConcept): ClassImageOptions {
  const d = Object.values(concept.generate)[0] ?? generationDefaults();
  return { resolution: concept.train.resolution, seed: concept.train.seed, steps: d.steps, guidance: d.guidance, sampler: d.sampler };
}

/** How many class images the concept still lacks (0 without prior preservation). */
export async function missingClassImages(block: ConceptBlock): Promise<number> {
  if (block.classPrompt === null || block.numClassImages <= 0) return 0;
  return Math.max(0, block.numClassImages - (await listImages(block.classImages)).length);
}

/**
 * Generates the missing class images into block.classImages. The seed is offset by the number already
 * there, so a folder filled in several runs (e.g. after a cancel) gets new images, not repeats.
 */
export async function topUpClassImages(block: ConceptBlock, modelPath: string, opts: ClassImageOptions, ctx: JobContext): Promise<ClassTopUp> {
  const existing = (await listImages(block.classImages)).length;
  const missing = await missingClassImages(block);
  const result: ClassTopUp = { folder: block.classImages, existing, generated: [] };
  if (missing === 0 || block.classPrompt === null) return result;
  ctx.progress({ phase: 'class images', step: 0, total: missing, message: `generating ${missing} images of "${block.classPrompt}"` });
  result.generated = await generate(
    { model: modelPath, prompt: block.classPrompt, negativePrompt: '', count: missing, steps: opts.steps, guidance: opts.guidance, sampler: opts.sampler, seed: opts.seed + existing, width: opts.resolution, height: opts.resolution, outDir: block.classImages },
    { ...ctx, progress: (p) => ctx.progress({ ...p, phase: 'class images' }) },
    { runtime: opts.runtime, cacheDir: opts.cacheDir },
  );
  return result;
}
