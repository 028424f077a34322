// Text clean-up applied before CLIP tokenisation. The reference (transformers' CLIPTokenizer with
// ftfy installed, as diffusers loads it) runs `ftfy.fix_text`, collapses whitespace and lowercases.
// This is the subset of ftfy 6's default fixes that changes typed prompts, in ftfy's order:
//   1. HTML entities (only when the text has no "<", ftfy's "auto" rule)
//   2. terminal escape sequences removed
//   3. C1 control characters read as windows-1252
//   4. Latin ligatures expanded (ﬁ → fi)
//   5. fullwidth/halfwidth forms to their ordinary width (ＡＢＣ → ABC), ideographic space → space
//   6. curly quotes straightened
//   7. line breaks unified
//   8. control characters removed
//   9. NFC normalisation
// Left out: ftfy's mojibake repair (re-decoding "cafÃ©" as "café"), which only matters for text
// that was already mis-decoded somewhere else.

import { decodeHtmlEntities } from './html-entities';

const TERMINAL_ESCAPE = /\x1b\[((?:\d|;)*)([a-zA-Z])/g;
// windows-1252 for bytes 0x80..0x9f; ftfy's "sloppy" codec keeps the five undefined ones as-is
const CP1252_C1 = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ';
const LIGATURES = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;
const WIDTH_FORMS = /[\uff01-\uffef]/g;
const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTES = /[\u201c-\u201f]/g;
const LINE_BREAKS = /\r\n|[\r\u2028\u2029\u0085]/g;
const CONTROL_CHARS = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]|\ud834[\udd73-\udd7a]|\udb40[\udc00-\udc7f]/g;
/** Python's `\s` for str patterns (JavaScript's differs: no \x1c-\x1f or \x85, but \ufeff). */
export const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'g');

/** ftfy.fix_text's effect on ordinary prompts (see the list above). */
export function fixText(text: string): string {
  let t = text;
  if (!t.includes('<')) t = decodeHtmlEntities(t);
  t = t.replace(TERMINAL_ESCAPE, '');
  t = t.replace(/[\x80-\x9f]/g, (c) => CP1252_C1[c.charCodeAt(0) - 0x80]!);
  t = t.replace(LIGATURES, (c) => c.normalize('NFKC'));
  t = t.replace(WIDTH_FORMS, (c) => c.normalize('NFKC')).replace(/\u3000/g, ' ');
  t = t.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
  t = t.replace(LINE_BREAKS, '\n');
  t = t.replace(CONTROL_CHARS, '');
  return t.normalize('NFC');
}

/** `re.sub(r"\s+", " ", text).strip()` with Python's notion of whitespace. */
export function whitespaceClean(text: string): string {
  return text.replace(WHITESPACE_RUN, ' ').replace(new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'g'), '');
}

/** The full normalisation the reference applies to each piece of text between special tokens. */
export function cleanPrompt(text: string): string {
  return whitespaceClean(fixText(text)).toLowerCase();
}
