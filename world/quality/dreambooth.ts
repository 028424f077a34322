// The benchmark's DreamBooth runs: each variant is a concept file written into the output folder and
// trained by the product's own train job (sidecar/jobs/train.ts), exactly as `dreambooth train` runs
// it; the result (the LoRA export, or a full run's last weights file) becomes an "after" variant.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobContext } from '../../sidecar/context/job-context';
import { train } from '../../sidecar/jobs/train';
import type { Runtime } from '../../sidecar/runtime/runtime';
import { IDENTITY_PROMPT, PRIOR_PROMPT } from './prompts';
import type { ModelVariant } from './run';

export interface DreamBoothVariant {
  name: string;
  method: 'lora' | 'full';
  prior: boolean;
  steps: number;
  learningRate: number;
  trainTextEncoder: boolean;
}

/** The recorded variants (bench/QUALITY.md): LoRA and full, each with and without prior preservation,
 *  the text encoder trained too; rates from a small sweep on this world (a tiny model takes far higher
 *  rates than SD 1.5's 1e-4 LoRA / 5e-6 full). */
export const DREAMBOOTH_VARIANTS: readonly DreamBoothVariant[] = [
  { name: 'lora-prior', method: 'lora', prior: true, steps: 800, learningRate: 2e-3, trainTextEncoder: true },
  { name: 'lora', method: 'lora', prior: false, steps: 800, learningRate: 2e-3, trainTextEncoder: true },
  { name: 'full-prior', method: 'full', prior: true, steps: 800, learningRate: 2e-4, trainTextEncoder: true },
  { name: 'full', method: 'full', prior: false, steps: 800, learningRate: 2e-4, trainTextEncoder: true },
];

const CLASS_IMAGES = 50;

export function conceptFile(v: DreamBoothVariant, o: { model: string; instances: string; output: string }): string {
  const q = JSON.stringify;
  return [
    `# quality benchmark variant "${v.name}" (world/quality/dreambooth.ts)`,
    `model  ${q(o.model)}`,
    `output ${q(o.output)}`,
    '',
    'concept ohwx {',
    `  instance_prompt  ${q(IDENTITY_PROMPT)}`,
    `  instance_images  ${q(o.instances)}`,
    ...(v.prior ? [`  class_prompt     ${q(PRIOR_PROMPT)}`, `  num_class_images ${CLASS_IMAGES}`] : []),
    '}',
    '',
    'train {',
    `  method             ${v.method}`,
    `  steps              ${v.steps}`,
    `  learning_rate      ${v.learningRate}`,
    `  train_text_encoder ${v.trainTextEncoder}`,
    ...(v.prior ? ['  prior_loss_weight  1.0'] : []),
    '  resolution         64',
    '  seed               42',
    '  save_every         0',
    `  sample_prompt      ${q(IDENTITY_PROMPT)}`,
    '}',
    '',
  ].join('\n');
}

/** Trains the variant from scratch in <outDir>/<name>/ and returns what generates with its result. */
export async function trainVariant(v: DreamBoothVariant, o: { model: string; instances: string; outDir: string; runtime: Runtime; ctx: JobContext }): Promise<ModelVariant> {
  const dir = join(o.outDir, v.name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'ohwx.dreambooth');
  await writeFile(file, conceptFile(v, { model: o.model, instances: o.instances, output: join(dir, 'run') }));
  const { files } = await train({ conceptFile: file, resume: false }, o.ctx, { runtime: o.runtime, sampleSteps: 4 });
  // LoRA: the kohya export; full: the last step's weights (the base's tensors they replace).
  const result = v.method === 'lora' ? files.find((f) => /[/\\]exports[/\\][^/\\]+\.safetensors$/.test(f)) : files.filter((f) => /-step-\d+\.safetensors$/.test(f)).sort().pop();
  if (!result) throw new Error(`quality: the ${v.name} run wrote no ${v.method === 'lora' ? 'LoRA export' : 'checkpoint'} (files: ${files.join(', ')})`);
  return { name: `${v.name} (${v.steps} steps)`, model: o.model, lora: result };
}
