// Files shipped with the extension: the CLIP vocabulary (data/clip-tokenizer, for single-file
// checkpoints, which carry no tokenizer) and the tiny random-weight model (fixtures/tiny-sd).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Finds `rel` in this file's folder or the nearest one above it (source tree or dist/ bundle). */
function findUp(rel: string, marker: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, rel, marker))) return join(dir, rel);
    if (dirname(dir) === dir) return join(__dirname, '..', rel);
  }
}

export function bundledTokenizerDir(): string {
  return findUp(join('data', 'clip-tokenizer'), 'vocab.json');
}

/** The tiny SD 1.x model with random weights: it runs anywhere in seconds, and its images are noise. */
export function bundledTinyModel(): string {
  return findUp(join('fixtures', 'tiny-sd'), 'model_index.json');
}
