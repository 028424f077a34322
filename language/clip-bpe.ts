// CLIP's byte-level BPE, just enough to count tokens for the identifier checks and completions, over
// the vocabulary bundled in data/clip-tokenizer (so the editor works before any model is downloaded).
// TODO(dedupe): sidecar/tokenizer/clip.ts (ClipTokenizer) does the full job for inference; once it is
// in, this file can delegate to it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ClipVocab {
  /** token → id; ids grow roughly with rarity (BPE merge order). */
  encoder: Map<string, number>;
  ranks: Map<string, number>;
}

// Letters, single digits, or runs of other non-space symbols; contractions first (as CLIP's regex).
const PATTERN = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/gu;

/** bytes_to_unicode(): printable bytes map to themselves, the rest to code points from 256 up. */
const BYTE_TO_CHAR: string[] = (() => {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return out;
})();

/** The folder with vocab.json and merges.txt: data/clip-tokenizer above this file or the bundle. */
export function defaultVocabDir(): string {
  let dir = __dirname;
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, 'data', 'clip-tokenizer');
    if (existsSync(join(candidate, 'vocab.json'))) return candidate;
    dir = dirname(dir);
  }
  return join(__dirname, '..', 'data', 'clip-tokenizer');
}

let cached: ClipVocab | undefined;

/** Loads (once) the bundled vocabulary; throws with the path when it is missing. */
export function loadClipVocab(dir = defaultVocabDir()): ClipVocab {
  if (cached && dir === defaultVocabDir()) return cached;
  const vocab = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>;
  const merges = readFileSync(join(dir, 'merges.txt'), 'utf8').split('\n');
  const ranks = new Map<string, number>();
  // Line 0 is "#version: 0.2"; CLIP uses the first 49152-256-2 merges.
  const limit = Math.min(merges.length, 1 + 49152 - 256 - 2);
  for (let l = 1; l < limit; l++) if (merges[l]) ranks.set(merges[l], l - 1);
  const v: ClipVocab = { encoder: new Map(Object.entries(vocab)), ranks };
  if (dir === defaultVocabDir()) cached = v;
  return v;
}

const bpeCache = new Map<string, string[]>();

/** BPE of one pre-token (already byte-encoded): its vocabulary pieces, the last ending in `</w>`. */
function bpe(vocab: ClipVocab, token: string): string[] {
  const hit = bpeCache.get(token);
  if (hit) return hit;
  const chars = Array.from(token);
  let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
  while (word.length > 1) {
    let best = -1;
    let bestRank = Infinity;
    for (let k = 0; k < word.length - 1; k++) {
      const r = vocab.ranks.get(`${word[k]} ${word[k + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = k;
      }
    }
    if (best < 0) break;
    const a = word[best];
    const b = word[best + 1];
    // Merge every occurrence of the pair, left to right (as CLIP does).
    const merged: string[] = [];
    for (let k = 0; k < word.length; k++) {
      if (k < word.length - 1 && word[k] === a && word[k + 1] === b) {
        merged.push(a + b);
        k++;
      } else merged.push(word[k]);
    }
    word = merged;
  }
  if (bpeCache.size > 10_000) bpeCache.clear();
  bpeCache.set(token, word);
  return word;
}

/** CLIP tokens of a text (without start/end tokens), e.g. "photo of sks" → photo</w> of</w> sks</w>. */
export function clipTokens(text: string, vocab = loadClipVocab()): string[] {
  const clean = text.replace(/\s+/g, ' ').trim().toLowerCase();
  const out: string[] = [];
  for (const m of clean.matchAll(PATTERN)) {
    const encoded = Array.from(Buffer.from(m[0], 'utf8'), (b) => BYTE_TO_CHAR[b]).join('');
    out.push(...bpe(vocab, encoded));
  }
  return out;
}

export function clipTokenIds(text: string, vocab = loadClipVocab()): number[] {
  return clipTokens(text, vocab).map((t) => vocab.encoder.get(t) ?? -1);
}

/** Number of CLIP tokens a word becomes. */
export function tokenCount(word: string, vocab = loadClipVocab()): number {
  return clipTokens(word, vocab).length;
}
