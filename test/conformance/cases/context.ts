// What every conformance case handler gets: the fixture folder, its index.json, the reference tensors
// and the model in that folder (opened once, networks compiled on first use).
import { join } from 'node:path';
import { readSafetensorsIndex, readTensorF32, type StIndex } from '../../../sidecar/weights/safetensors';
import type { SdModel, SdModelOptions } from '../../../sidecar/pipeline/sd-model';
import type { Runtime } from '../../../sidecar/runtime/runtime';
import type { CaseResult } from './compare';

export type CaseSpec = Record<string, unknown> & { name: string; kind: string; file?: string };

export interface FixtureIndex {
  format?: string;
  pipeline_dir?: string;
  configs?: { scheduler?: Record<string, unknown> };
  cases: CaseSpec[];
}

export class CaseContext {
  private readonly files = new Map<string, Promise<StIndex>>();
  constructor(
    readonly dir: string,
    readonly index: FixtureIndex,
    /** Opens the fixture's model (with options such as a LoRA); the caller closes what it opens beyond model(). */
    readonly openModel: (opts?: SdModelOptions) => Promise<SdModel>,
    readonly runtime: Runtime,
  ) {}

  private modelPromise?: Promise<SdModel>;
  model(): Promise<SdModel> {
    return (this.modelPromise ??= this.openModel());
  }

  /** A reference tensor from a case file (all case tensors are F32). */
  async tensor(file: string, name: string): Promise<{ shape: number[]; data: Float32Array }> {
    let idx = this.files.get(file);
    if (!idx) this.files.set(file, (idx = readSafetensorsIndex(join(this.dir, file))));
    return readTensorF32(await idx, name);
  }

  /**
   * The tensor an output description refers to: its first word when that names a tensor in the file
   * ("pooler_output [2,H]"), else the output's own name (descriptions that are formulas).
   */
  async tensorFor(file: string, output: string, description: unknown): Promise<{ shape: number[]; data: Float32Array }> {
    let idx = this.files.get(file);
    if (!idx) this.files.set(file, (idx = readSafetensorsIndex(join(this.dir, file))));
    const first = keyOf(description);
    return this.tensor(file, (await idx).tensors.has(first) ? first : output);
  }

  /** The largest fp64_max_abs_diff hint among cases of `kind` (for cases that run a network but carry none). */
  hintOf(kind: string): number | undefined {
    const hints = this.index.cases.filter((c) => c.kind === kind && typeof c.fp64_max_abs_diff === 'number').map((c) => c.fp64_max_abs_diff as number);
    return hints.length ? Math.max(...hints) : undefined;
  }
}

export type CaseHandler = (spec: CaseSpec, ctx: CaseContext) => Promise<CaseResult>;

/** A tensor key from an index description such as "vpred.euler.sample (= sample * sigma)". */
export function keyOf(description: unknown): string {
  if (typeof description !== 'string') throw new Error(`expected a tensor name, got ${JSON.stringify(description)}`);
  return description.split(' ')[0]!;
}

const NON_FINITE: Record<string, number> = { '-Infinity': -Infinity, Infinity, NaN };
/** Marks a non-finite number while the text goes through JSON.parse (no real string starts with NUL + this). */
const MARK = '\u0000py:';

/**
 * JSON as Python's json.dump writes it: bare Infinity, -Infinity and NaN (e.g. DPM-Solver's
 * lambda_min_clipped) are accepted outside strings and read as the numbers they are.
 */
export function parsePythonJson(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    const word = ['-Infinity', 'Infinity', 'NaN'].find((w) => text.startsWith(w, i));
    if (word) {
      out += JSON.stringify(MARK + word);
      i += word.length - 1;
      continue;
    }
    out += ch;
  }
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(MARK) ? NON_FINITE[v.slice(MARK.length)] : v));
}
