// Text clean-up applied before CLIP tokenisation. The reference (transformers' CLIPTokenizer with
// ftfy installed, as diffusers loads it) runs `ftfy.fix_text`, collapses whitespace and lowercases.
// ftfy 6's default fixes, in its order, repeated until the text stops changing (so "&amp;amp;" ends
// as "&"); like ftfy, each line is fixed on its own (test/tokenizer/parity.test.ts holds the reference):
//   1. HTML entities (only while no line so far has had a "<", ftfy's "auto" rule)
//   2. mojibake (mojibake.ts): UTF-8 decoded in one of the single-byte encodings ftfy tries —
//      windows-1252/Latin-1, -1251 (Cyrillic), -1250 and ISO 8859-2 (Central European), -1253 (Greek),
//      -1254 (Turkish), Mac Roman, cp437 — when its "badness" heuristic says the text looks broken;
//      with no-break spaces that became spaces, bytes lost as "�", and runs of it inside good text
//   3. C1 control characters read as windows-1252
//   4. Latin ligatures expanded (ﬁ → fi)
//   5. fullwidth/halfwidth forms to their ordinary width (ＡＢＣ → ABC), ideographic space → space
//   6. curly quotes straightened
//   7. line breaks unified
//   8. unpaired UTF-16 surrogates replaced by "�"
//   9. terminal escape sequences removed
//  10. control characters removed
//  11. NFC normalisation

import { decodeHtmlEntities } from './html-entities';
import { fixC1Controls, fixEncoding } from './mojibake';
import { PY_WHITESPACE } from './python-regex';

const TERMINAL_ESCAPE = /\x1b\[((?:\d|;)*)([a-zA-Z])/g;
const LIGATURES = /[\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3\ufb00-\ufb06]/g;
const WIDTH_FORMS = /[\uff01-\uffef]/g;
const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTES = /[\u201c-\u201f]/g;
const LINE_BREAKS = /\r\n|[\r\u2028\u2029\u0085]/g;
const LONE_SURROGATE = /\p{Cs}/gu;
const CONTROL_CHARS = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]|\ud834[\udd73-\udd7a]|\udb40[\udc00-\udc7f]/g;
const WHITESPACE_RUN = new RegExp(`[${PY_WHITESPACE}]+`, 'g');

/** A ligature's letters: its NFKC form, but ftfy keeps the long s of ﬅ. */
function expandLigature(c: string): string {
  return c === '\ufb05' ? '\u017ft' : c.normalize('NFKC');
}

/** One pass of ftfy's fixes (see the list above). */
function fixOnce(text: string, unescape: boolean): string {
  let t = text;
  if (unescape) t = decodeHtmlEntities(t);
  t = fixEncoding(t);
  t = fixC1Controls(t);
  t = t.replace(LIGATURES, expandLigature);
  t = t.replace(WIDTH_FORMS, (c) => c.normalize('NFKC')).replace(/\u3000/g, ' ');
  t = t.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
  t = t.replace(LINE_BREAKS, '\n');
  t = t.replace(LONE_SURROGATE, '\ufffd');
  t = t.replace(TERMINAL_ESCAPE, '');
  t = t.replace(CONTROL_CHARS, '');
  return t.normalize('NFC');
}

/** One line (ftfy's segment): the fixes repeated until nothing changes. */
function fixSegment(text: string, unescape: boolean): string {
  let t = text;
  for (let i = 0; i < 16; i++) {
    const next = fixOnce(t, unescape);
    if (next === t) break;
    t = next;
  }
  return t;
}

/** ftfy.fix_text on prompts: each line (with its "\n") fixed on its own; HTML entities are decoded
 *  until the first line that has a "<" (ftfy then takes the text for HTML). ftfy also cuts lines
 *  longer than a million characters, which no prompt is. */
export function fixText(text: string): string {
  let unescape = true;
  return text
    .split(/(?<=\n)/)
    .map((line) => {
      if (line.includes('<')) unescape = false;
      return fixSegment(line, unescape);
    })
    .join('');
}

/** `re.sub(r"\s+", " ", text).strip()` with Python's notion of whitespace. */
export function whitespaceClean(text: string): string {
  return text.replace(WHITESPACE_RUN, ' ').replace(new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'g'), '');
}

/** The full normalisation the reference applies to each piece of text between special tokens. */
export function cleanPrompt(text: string): string {
  return whitespaceClean(fixText(text)).toLowerCase();
}
