// Loading the scheduler reference cases of fixtures/tiny-sd (see fixtures/README.md).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensorsIndex, readTensorF32, type StIndex } from '../../sidecar/weights/safetensors';
import type { SchedulerConfig } from '../../sidecar/schedulers/config';

export const TINY = join(import.meta.dirname, '../../fixtures/tiny-sd');

export interface SchedulerCase {
  name: string;
  kind: string;
  class: string;
  resolved_config: SchedulerConfig;
  num_inference_steps: number;
  init_noise_sigma: number;
  timesteps: number[];
  sigmas: number[] | null;
  tensors: string[];
}

/** index.json is written by Python's json module, which spells infinities as bare -Infinity. */
function parsePythonJson(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(-?)Infinity\b/g, '$1$21e999'));
}

export const INDEX = parsePythonJson(readFileSync(join(TINY, 'index.json'), 'utf8')) as { cases: (SchedulerCase & Record<string, unknown>)[] };
export const SCHEDULER_CASES = INDEX.cases.filter((c) => c.kind === 'scheduler');

export const EPS32 = 2 ** -23;

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export class Tensors {
  private constructor(private readonly index: StIndex) {}
  static async open(file: string): Promise<Tensors> {
    return new Tensors(await readSafetensorsIndex(join(TINY, file)));
  }
  has(name: string): boolean {
    return this.index.tensors.has(name);
  }
  async get(name: string): Promise<Float32Array> {
    return (await readTensorF32(this.index, name)).data;
  }
  /** Row i of a tensor stacked along its first axis. */
  async rows(name: string): Promise<Float32Array[]> {
    const t = await readTensorF32(this.index, name);
    const n = t.shape[0]!;
    const per = t.data.length / n;
    return Array.from({ length: n }, (_, i) => t.data.subarray(i * per, (i + 1) * per));
  }
}
