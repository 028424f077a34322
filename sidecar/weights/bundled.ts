// Files shipped with the extension: the CLIP vocabulary (data/clip-tokenizer, for single-file
// checkpoints, which carry no tokenizer) and the world base model (data/world-sd), the default model.
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

/** The world base model (world/base/): a tiny SD 1.x pretrained on the procedural shape world, so it
 *  runs anywhere in seconds and draws recognisable 64×64 shapes. (fixtures/tiny-sd, the random-weight
 *  model, stays for numerics and conformance tests.) */
export function bundledModel(): string {
  return findUp(join('data', 'world-sd'), 'model_index.json');
}
