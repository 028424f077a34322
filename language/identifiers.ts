// What makes a good concept identifier: one CLIP token that the text encoder has rarely seen, so
// training can give it a new meaning without fighting an old one. Checked against the bundled vocab.
import type { ClipTokenizer } from '../sidecar/tokenizer/clip';
import { bundledTokenizer } from './clip-vocab';

/**
 * Tokens this early in CLIP's merge order are frequent words ("dog" is #1929, "person" #2533); ids
 * grow with rarity, so the DreamBooth favourites sit near the end ("sks" #48136, "ohwx" #47993).
 */
export const COMMON_TOKEN_ID_LIMIT = 15000;

/**
 * Hand-picked rare tokens: short, not English words, unlikely to be names of anything a photo shows.
 * "ohwx" leads: the classic "sks" is also the name of a rifle, which CLIP has seen in photos.
 * `rareIdentifiers()` keeps only those that really are one late token in the bundled vocabulary.
 */
const CANDIDATES = ['ohwx', 'sks', 'nmwx', 'nlwx', 'wwx', 'tzky', 'nyrd', 'kprc', 'szn', 'sqm', 'rcn', 'bnha', 'ncbd', 'mwf', 'pcm', 'tyl', 'olis'];

export interface IdentifierInfo {
  word: string;
  tokens: string[];
  /** Vocabulary id of the single token, when it is one. */
  id?: number;
  common: boolean;
}

export function identifierInfo(word: string, tok: ClipTokenizer = bundledTokenizer()): IdentifierInfo {
  const tokens = tok.tokenize(word);
  const id = tokens.length === 1 ? tok.tokenIds(word)[0] : undefined;
  return { word, tokens, id, common: id !== undefined && id < COMMON_TOKEN_ID_LIMIT };
}

export interface RareIdentifier {
  word: string;
  id: number;
}

let rare: RareIdentifier[] | undefined;

/** Suggestions for concept names, each verified to be a single rare token. */
export function rareIdentifiers(tokenizer?: ClipTokenizer): RareIdentifier[] {
  if (rare) return rare;
  let tok: ClipTokenizer;
  try {
    tok = tokenizer ?? bundledTokenizer();
  } catch {
    return []; // no bundled vocabulary: no suggestions rather than a failure
  }
  rare = [];
  for (const word of CANDIDATES) {
    const info = identifierInfo(word, tok);
    if (info.id !== undefined && info.id >= 30000) rare.push({ word, id: info.id });
  }
  return rare;
}

/** Pretty token split for messages: "zwx" → "z·wx". */
export function showTokens(tokens: string[]): string {
  return tokens.map((t) => t.replace(/<\/w>$/, '')).join('·');
}
