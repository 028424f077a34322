// Text clean-up applied before CLIP tokenisation. The reference (transformers' CLIPTokenizer with
// ftfy installed, as diffusers loads it) runs `ftfy.fix_text`, collapses whitespace and lowercases.
// ftfy 6's default fixes, in its order, repeated until the text stops changing (so "&amp;amp;" ends
// as "&"; test/tokenizer/parity.test.ts holds the reference ids):
//   1. HTML entities (only when the text has no "<", ftfy's "auto" rule)
//   2. mojibake: UTF-8 read as windows-1252 / Latin-1 ("cafÃ©" → "café", "â€œ" → "“")
//   3. C1 control characters read as windows-1252
//   4. Latin ligatures expanded (ﬁ → fi)
//   5. fullwidth/halfwidth forms to their ordinary width (ＡＢＣ → ABC), ideographic space → space
//   6. curly quotes straightened
//   7. line breaks unified
//   8. terminal escape sequences removed
//   9. control characters removed
//  10. NFC normalisation
// ftfy's mojibake repair also knows other single-byte encodings (Cyrillic, Greek, Mac, cp437) and
// weighs a "badness" score; only the windows-1252 case, by far the common one, is repaired here.

import { CP1252_C1 } from './cp1252';
import { decodeHtmlEntities } from './html-entities';

const TERMINAL_ESCAPE = /\x1b\[((?:\d|;)*)([a-zA-Z])/g;
const LIGATURES = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;
const WIDTH_FORMS = /[\uff01-\uffef]/g;
const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTES = /[\u201c-\u201f]/g;
const LINE_BREAKS = /\r\n|[\r\u2028\u2029\u0085]/g;
const CONTROL_CHARS = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]|\ud834[\udd73-\udd7a]|\udb40[\udc00-\udc7f]/g;
/** Python's `\s` for str patterns (JavaScript's differs: no \x1c-\x1f or \x85, but \ufeff). */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'g');

/** One pass of ftfy's fixes (see the list above); `unescape` is ftfy's "auto" decision, made once. */
function fixOnce(text: string, unescape: boolean): string {
  let t = text;
  if (unescape) t = decodeHtmlEntities(t);
  t = fixMojibake(t);
  t = t.replace(/[\x80-\x9f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!);
  t = t.replace(LIGATURES, (c) => c.normalize('NFKC'));
  t = t.replace(WIDTH_FORMS, (c) => c.normalize('NFKC')).replace(/\u3000/g, ' ');
  t = t.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
  t = t.replace(LINE_BREAKS, '\n');
  t = t.replace(TERMINAL_ESCAPE, '');
  t = t.replace(CONTROL_CHARS, '');
  return t.normalize('NFC');
}

/** ftfy.fix_text on prompts: the fixes repeated until nothing changes. */
export function fixText(text: string): string {
  const unescape = !text.includes('<');
  let t = text;
  for (let i = 0; i < 16; i++) {
    const next = fixOnce(t, unescape);
    if (next === t) break;
    t = next;
  }
  return t;
}

// ── mojibake: UTF-8 bytes that were decoded as windows-1252 (or Latin-1) ─────────────────────────
/** Byte of each character in windows-1252, read sloppily as ftfy does (undefined bytes are the C1 controls). */
const CP1252_BYTE = new Map<string, number>();
for (let b = 0; b < 256; b++) CP1252_BYTE.set(b >= 0x80 && b < 0xa0 ? CP1252_C1[b - 0x80]! : String.fromCharCode(b), b);
for (let b = 0x80; b < 0xa0; b++) CP1252_BYTE.set(String.fromCharCode(b), b); // C1 controls stand for themselves too
const CONT = `[\\x80-\\xbf${CP1252_C1.replace(/[\x80-\x9f]/g, '')}]`;
/** A run of UTF-8 sequences as windows-1252 shows them: a lead byte (Â–ß, à–ï, ð–ô) and its continuation bytes. */
const UTF8_AS_CP1252 = new RegExp(`(?:[\\xc2-\\xdf]${CONT}|[\\xe0-\\xef]${CONT}{2}|[\\xf0-\\xf4]${CONT}{3})+`, 'g');
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function fixMojibake(text: string): string {
  return text.replace(UTF8_AS_CP1252, (run) => {
    const bytes = Uint8Array.from(run, (c) => CP1252_BYTE.get(c)!);
    try {
      return UTF8.decode(bytes);
    } catch {
      return run; // not valid UTF-8 after all: leave it
    }
  });
}

/** `re.sub(r"\s+", " ", text).strip()` with Python's notion of whitespace. */
export function whitespaceClean(text: string): string {
  return text.replace(WHITESPACE_RUN, ' ').replace(new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'g'), '');
}

/** The full normalisation the reference applies to each piece of text between special tokens. */
export function cleanPrompt(text: string): string {
  return whitespaceClean(fixText(text)).toLowerCase();
}
