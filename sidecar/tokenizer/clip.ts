// CLIP's text tokenizer, equivalent to transformers' CLIPTokenizer (with ftfy) as Stable Diffusion
// pipelines use it: split out the special tokens, clean and lowercase each piece, pre-tokenise with
// CLIP's regex, byte-encode, BPE, then [BOS] + ids[:75] + [EOS], padded with EOS to 77.

import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Bpe } from './bpe';
import { BYTE_TO_CHAR, byteDecode, byteEncode } from './byte-encoder';
import { PY_WHITESPACE } from './python-regex';
import { cleanPrompt } from './text-cleanup';

export const BOS = '<|startoftext|>';
export const EOS = '<|endoftext|>';
const SPECIAL = /(<\|startoftext\|>|<\|endoftext\|>)/;
// CLIP's pre-tokeniser (contractions, letter runs, single digits, runs of other symbols).
const PRE_TOKEN = new RegExp(`<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|\\p{L}+|\\p{N}|[^${PY_WHITESPACE}\\p{L}\\p{N}]+`, 'giu');

export interface ClipEncoding {
  /** Exactly `maxLength` ids: BOS, the prompt's tokens (truncated), EOS, then EOS padding. */
  ids: number[];
  /** Number of ids that carry the prompt (BOS through EOS); the rest is padding. */
  length: number;
  /** The prompt had more tokens than fit; `dropped` is the text that was cut off. */
  truncated: boolean;
  dropped: string;
}

export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  private readonly bpe: Bpe;
  private readonly idToToken: string[] = [];

  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    merges: readonly string[],
    readonly maxLength = 77,
  ) {
    this.bpe = new Bpe(merges);
    const need = (t: string): number => {
      const id = vocab.get(t);
      if (id === undefined) throw new Error(`CLIP vocabulary lacks the special token ${t}`);
      return id;
    };
    this.bosId = need(BOS);
    this.eosId = need(EOS);
    for (const [tok, id] of vocab) this.idToToken[id] = tok;
  }

  /** Loads `vocab.json`, `merges.txt` and (if present) `tokenizer_config.json` from a tokenizer folder. */
  static async fromFolder(dir: string): Promise<ClipTokenizer> {
    const read = (name: string): Promise<string | undefined> => readFile(join(dir, name), 'utf8').catch(() => undefined);
    const [vocab, merges, config] = await Promise.all([read('vocab.json'), read('merges.txt'), read('tokenizer_config.json')]);
    return ClipTokenizer.fromTexts(dir, vocab, merges, config);
  }

  /** fromFolder, synchronously (for the language server, which loads the bundled vocabulary once). */
  static fromFolderSync(dir: string): ClipTokenizer {
    const read = (name: string): string | undefined => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8') : undefined);
    return ClipTokenizer.fromTexts(dir, read('vocab.json'), read('merges.txt'), read('tokenizer_config.json'));
  }

  private static fromTexts(dir: string, vocabText: string | undefined, mergesText: string | undefined, configText: string | undefined): ClipTokenizer {
    const where = (name: string): string => join(dir, name);
    if (vocabText === undefined) throw new Error(`${where('vocab.json')}: missing or unreadable (a CLIP tokenizer folder needs vocab.json and merges.txt)`);
    if (mergesText === undefined) throw new Error(`${where('merges.txt')}: missing or unreadable (a CLIP tokenizer folder needs vocab.json and merges.txt)`);
    let vocabJson: unknown;
    try {
      vocabJson = JSON.parse(vocabText);
    } catch (e) {
      throw new Error(`${where('vocab.json')}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof vocabJson !== 'object' || vocabJson === null || Array.isArray(vocabJson)) throw new Error(`${where('vocab.json')}: expected an object of token → id`);
    const vocab = new Map<string, number>();
    for (const [tok, id] of Object.entries(vocabJson)) {
      if (!Number.isInteger(id)) throw new Error(`${where('vocab.json')}: id of ${JSON.stringify(tok)} is not an integer`);
      vocab.set(tok, id as number);
    }
    // the first line is "#version: 0.2"; like the reference, use only the first
    // vocab_size − 2·256 − 2 merges (the vocab holds 256 bytes, their </w> forms, the merges, 2 specials)
    const lines = mergesText.split('\n');
    const merges = lines.slice(lines[0]?.startsWith('#version') ? 1 : 0).filter((l) => l.length > 0);
    let maxLength = 77;
    if (configText !== undefined) {
      let m: unknown;
      try {
        m = (JSON.parse(configText) as { model_max_length?: unknown }).model_max_length;
      } catch (e) {
        throw new Error(`${where('tokenizer_config.json')}: not valid JSON (${(e as Error).message})`);
      }
      if (typeof m === 'number' && Number.isInteger(m) && m >= 2 && m <= 4096) maxLength = m;
    }
    return new ClipTokenizer(vocab, merges.slice(0, vocab.size - 256 * 2 - 2), maxLength);
  }

  /** BPE symbols of a text (no BOS/EOS, no truncation), e.g. "sks" → ["sks</w>"]. */
  tokenize(text: string): string[] {
    const out: string[] = [];
    for (const piece of text.split(SPECIAL)) {
      if (piece === BOS || piece === EOS) {
        out.push(piece);
        continue;
      }
      for (const m of cleanPrompt(piece).matchAll(PRE_TOKEN)) out.push(...this.bpe.encode(byteEncode(m[0])));
    }
    return out;
  }

  /** Token ids of a text, untruncated, without BOS/EOS. Unknown symbols map to EOS (the unk token). */
  tokenIds(text: string): number[] {
    return this.tokenize(text).map((t) => this.vocab.get(t) ?? this.eosId);
  }

  encode(prompt: string): ClipEncoding {
    const symbols = this.tokenize(prompt);
    const room = this.maxLength - 2;
    const kept = symbols.slice(0, room);
    const ids = [this.bosId, ...kept.map((t) => this.vocab.get(t) ?? this.eosId), this.eosId];
    const length = ids.length;
    while (ids.length < this.maxLength) ids.push(this.eosId);
    const truncated = symbols.length > room;
    return { ids, length, truncated, dropped: truncated ? symbolsToText(symbols.slice(room)) : '' };
  }

  /** How many CLIP tokens a word (or phrase) costs. */
  tokenCount(word: string): number {
    return this.tokenize(word).length;
  }

  /** True for a word that CLIP encodes as one token, the property wanted of DreamBooth identifiers. */
  isSingleToken(word: string): boolean {
    return this.tokenCount(word) === 1;
  }

  /** Ids back to text (BOS/EOS dropped), as CLIPTokenizer.decode with skip_special_tokens. */
  decode(ids: readonly number[]): string {
    return symbolsToText(ids.filter((id) => id !== this.bosId && id !== this.eosId).map((id) => this.idToToken[id] ?? ''));
  }
}

function symbolsToText(symbols: readonly string[]): string {
  return byteDecode(symbols.join('').replaceAll('</w>', BYTE_TO_CHAR[0x20]!)).trim();
}
