// Conformance of the CLIP tokenizer: ids for every reference prompt must match exactly.
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { ClipTokenizer } from '../../../sidecar/tokenizer/clip';
import type { CaseHandler } from './context';
import { verdict } from './compare';

interface TokenizerCase {
  index: number;
  prompt: string;
  input_ids: number[];
}

export const tokenizer: CaseHandler = async (spec, ctx) => {
  const data = JSON.parse(await readFile(join(ctx.dir, spec.file!), 'utf8')) as { tokenizer_dir?: string; cases: TokenizerCase[] };
  const tok = await ClipTokenizer.fromFolder(join(ctx.dir, data.tokenizer_dir ?? 'tokenizer'));
  const wrong: number[] = [];
  for (const c of data.cases) {
    const ids = tok.encode(c.prompt).ids;
    if (ids.length !== c.input_ids.length || ids.some((v, i) => v !== c.input_ids[i])) wrong.push(c.index);
  }
  return verdict([{ what: 'prompts with different ids', err: wrong.length, tol: 0 }], wrong.length ? `prompts ${wrong.join(', ')} differ` : `${data.cases.length} prompts identical`);
};
