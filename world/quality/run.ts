// One row of the benchmark: draw the prompt set's images — with a model through the product's own
// generate job, or with the world's renderer (the ceiling row: what a model that knew the world
// perfectly would score) — recognise them and compute the metrics.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobContext } from '../../sidecar/context/job-context';
import { generate } from '../../sidecar/jobs/generate';
import type { Runtime } from '../../sidecar/runtime/runtime';
import { itemRandom } from '../generator/dataset';
import { writeScenePng } from '../generator/render';
import { drawScene, type SceneOptions } from '../generator/scene';
import type { Recognition, Recogniser } from '../recogniser/recognise';
import { readRgb } from './images';
import { fidelity, identity, prior, type QualityRow } from './metrics';
import { FIDELITY_PROMPTS, IDENTITY_PROMPT, PRIOR_PROMPT } from './prompts';

/** A model (diffusers folder or single file, optionally with a LoRA), or the world's own renders. */
export type ModelVariant = { name: string; model: string; lora?: string };
export type Variant = ModelVariant | { name: string; world: true };

export interface RunOptions {
  /** Images per prompt. */
  count: number;
  steps: number;
  guidance: number;
  seed: number;
  outDir: string;
  runtime: Runtime;
  recogniser: Recogniser;
  instances: readonly Recognition[];
  ctx: JobContext;
}

export interface RowResult {
  row: QualityRow;
  /** Image files per prompt: the fidelity prompts in order, then identity, then prior. */
  images: string[][];
}

export async function measureVariant(v: Variant, o: RunOptions): Promise<RowResult> {
  const dir = join(o.outDir, v.name.replace(/[^\w.-]+/g, '-'));
  const draw = (i: number, prompt: string, scene: SceneOptions) => ('world' in v ? render(join(dir, String(i)), o, scene) : generated(v, join(dir, String(i)), prompt, o));
  const images: string[][] = [];
  for (const [i, p] of FIDELITY_PROMPTS.entries()) images.push(await draw(i, p.prompt, { shape: p.shape, colour: p.colour, background: p.background, texture: 'plain' }));
  images.push(await draw(images.length, IDENTITY_PROMPT, { subject: true }));
  images.push(await draw(images.length, PRIOR_PROMPT, {}));
  const seen = await Promise.all(images.map(async (files) => o.recogniser.recognise(await readRgb(files), files.length)));
  const fid = FIDELITY_PROMPTS.flatMap((want, i) => seen[i]!.map((got) => ({ want, got })));
  return {
    row: { fidelity: fidelity(fid), identity: identity(seen[FIDELITY_PROMPTS.length]!, o.instances), prior: prior(seen[FIDELITY_PROMPTS.length + 1]!) },
    images,
  };
}

/** The benchmark's images of one prompt from a model: dpmpp_2m at 64×64 through the product's generate job. */
export async function generated(v: ModelVariant, outDir: string, prompt: string, o: Pick<RunOptions, 'count' | 'steps' | 'guidance' | 'seed' | 'ctx' | 'runtime'>): Promise<string[]> {
  return generate(
    { model: v.model, lora: v.lora, outDir, prompt, negativePrompt: '', count: o.count, steps: o.steps, guidance: o.guidance, sampler: 'dpmpp_2m', seed: o.seed, width: 64, height: 64 },
    o.ctx,
    { runtime: o.runtime },
  );
}

/** The scenes a perfect model would draw for the prompt (seeded like the generated images). */
async function render(outDir: string, o: RunOptions, scene: SceneOptions): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < o.count; i++) {
    const file = join(outDir, `${String(i).padStart(5, '0')}.png`);
    await writeScenePng(drawScene(itemRandom(o.seed % 2048, i), scene), 64, file);
    files.push(file);
  }
  return files;
}
