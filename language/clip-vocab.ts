// The CLIP tokenizer over the vocabulary bundled in data/clip-tokenizer, so identifier checks and
// completions work before any model is downloaded. Loaded synchronously, once, on first use; the
// tokenizer itself is the sidecar's (one BPE implementation in the project).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ClipTokenizer } from '../sidecar/tokenizer/clip';

/** data/clip-tokenizer, found upwards from this file (language/) or the bundle (dist/). */
export function bundledVocabDir(): string {
  let dir = __dirname;
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, 'data', 'clip-tokenizer');
    if (existsSync(join(candidate, 'vocab.json'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`the bundled CLIP vocabulary (data/clip-tokenizer/vocab.json) is missing above ${__dirname}`);
}

let cached: ClipTokenizer | undefined;

/** The tokenizer of the bundled vocabulary; throws (with the path) when the files are missing. */
export function bundledTokenizer(): ClipTokenizer {
  if (cached) return cached;
  const dir = bundledVocabDir();
  const vocab = new Map(Object.entries(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>));
  const lines = readFileSync(join(dir, 'merges.txt'), 'utf8').split('\n');
  const merges = lines.slice(lines[0]?.startsWith('#version') ? 1 : 0).filter((l) => l.length > 0);
  // As ClipTokenizer.fromFolder: CLIP uses the first vocab_size - 2*256 - 2 merges.
  cached = new ClipTokenizer(vocab, merges.slice(0, vocab.size - 256 * 2 - 2));
  return cached;
}
