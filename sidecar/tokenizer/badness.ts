// ftfy 6's "badness" heuristic: does a text look like mojibake? UTF-8 read in a single-byte encoding
// yields ~400 characters (data/ftfy-tables.json `categories`: accented letters, currency, box drawing,
// C1 controls…); the rules below are juxtapositions of them that real text almost never has, such as a
// lowercase accented letter followed by a currency sign. ftfy tries a repair only when one rule matches.
// Same rules and order as ftfy.badness.BADNESS_RE, so that the same texts are touched
// (test/tokenizer/badness.test.ts compares the match counts with ftfy's).

import TABLES from '../../data/ftfy-tables.json';
import { PY_WHITESPACE, PY_WORD } from './python-regex';

const { c1, bad, currency, common, numeric, kaomoji, box, start_punctuation: start, end_punctuation: end } = TABLES.categories;
const { upper_accented: upperAcc, lower_accented: lowerAcc, upper_common: upperCommon, lower_common: lowerCommon } = TABLES.categories;

// Literal characters of the rules, escaped where a Latin, Greek or Cyrillic look-alike could slip in.
const A_CIRC = '\u00c2'; // Â
const A_TILDE = '\u00c3'; // Ã
const CYR_VE = '\u0412'; // В
const CYR_GHE = '\u0413'; // Г
const CYR_DJE = '\u0402'; // Ђ

const RULES: readonly string[] = [
  `[${c1}]`,
  `[${bad}${lowerAcc}${upperAcc}${box}${start}${end}${currency}${numeric}][${bad}]`,
  `[a-zA-Z][${lowerCommon}${upperCommon}][${bad}]`,
  `[${bad}][${lowerAcc}${upperAcc}${box}${start}${end}${currency}${numeric}]`,
  `[${lowerAcc}${lowerCommon}${box}${end}${currency}${numeric}][${upperAcc}]`,
  `[${box}${end}${currency}${numeric}][${lowerAcc}]`,
  // not [upper_accented][currency] alone: some fancy leetspeak-like writing has it
  `[${lowerAcc}${box}${end}][${currency}]`,
  `[${PY_WHITESPACE}][${upperAcc}][${currency}]`,
  `[${upperAcc}${box}][${numeric}]`,
  `[${lowerAcc}${upperAcc}${box}${currency}${end}][${start}][${numeric}]`,
  `[${lowerAcc}${upperAcc}${currency}${numeric}${box}][${end}][${start}]`,
  `[${currency}${numeric}${box}][${start}]`,
  `[a-z][${upperAcc}][${start}${currency}]`,
  `[${box}][${kaomoji}]`,
  `[${lowerAcc}${upperAcc}${currency}${numeric}${start}${end}][${box}]`,
  `[${box}][${end}]`,
  `[${lowerAcc}${upperAcc}][${end}][${PY_WORD}]`,
  // the ligature œ not followed by an unaccented Latin letter
  '[\u0152\u0153][^A-Za-z]',
  // common windows-1252 two-character mojibake the rules above miss: [ÂÃÎÐ][€Šš¢£Ÿž nbsp shy ®©°·» … –—´]
  `[${A_CIRC}${A_TILDE}\u00ce\u00d0][\u20ac\u0160\u0161\u00a2\u00a3\u0178\u017e\u00a0\u00ad\u00ae\u00a9\u00b0\u00b7\u00bb${start}${end}\u2013\u2014\u00b4]`,
  '\u00d7[\u00b2\u00b3]', // ×²
  // windows-1252 mojibake of Arabic needs the common characters, so it takes four: [ØÙ][…][ØÙ][…]
  `[\u00d8\u00d9][${common}${currency}${bad}${numeric}${start}\u0178\u0160\u00ae\u00b0\u00b5\u00bb]`.repeat(2),
  // windows-1252 mojibake starting 3-byte sequences of some South Asian scripts: à[²µ¹¼½¾]
  '\u00e0[\u00b2\u00b5\u00b9\u00bc\u00bd\u00be]',
  // Mac Roman mojibake: √[±∂†≠®™´≤≥¥µø], ≈[°¢], ‚Ä[ìîïòôúùû†°¢π], ‚[âó][àä°ê]
  '\u221a[\u00b1\u2202\u2020\u2260\u00ae\u2122\u00b4\u2264\u2265\u00a5\u00b5\u00f8]',
  '\u2248[\u00b0\u00a2]',
  '\u201a\u00c4[\u00ec\u00ee\u00ef\u00f2\u00f4\u00fa\u00f9\u00fb\u2020\u00b0\u00a2\u03c0]',
  '\u201a[\u00e2\u00f3][\u00e0\u00e4\u00b0\u00ea]',
  // windows-1251 mojibake of the U+2000 block: вЂ
  `\u0432${CYR_DJE}`,
  // windows-1251 mojibake of Latin-1 or Cyrillic; its two-character sequences are common, so three: [ВГРС]…[ВГРС]
  `[${CYR_VE}${CYR_GHE}\u0420\u0421][${c1}${bad}${start}${end}${currency}\u00b0\u00b5][${CYR_VE}${CYR_GHE}\u0420\u0421]`,
  // windows-1251 over windows-1252 mojibake, with a Latin letter or space after it (Python's "." is [^\n])
  `${CYR_GHE}\u045e${CYR_VE}${CYR_DJE}${CYR_VE}[^\\n][A-Za-z ]`,
  // windows-1252 encodings of à, á and of the no-break space itself
  `${A_TILDE}[\u00a0\u00a1]`,
  `[a-z][${PY_WHITESPACE}]?[${A_TILDE}${A_CIRC}] `,
  `^[${A_TILDE}${A_CIRC}] `,
  // Â before a common character it is the encoding of
  `[a-z.,?!${end}]${A_CIRC}[ ${start}${end}]`,
  // windows-1253 mojibake of the U+2000 block: β€[™ nbsp Ά shy ®°]
  '\u03b2\u20ac[\u2122\u00a0\u0386\u00ad\u00ae\u00b0]',
  // windows-1253 mojibake of Latin-1 or Greek: [ΒΓΞΟ]…[ΒΓΞΟ]
  `[\u0392\u0393\u039e\u039f][${c1}${bad}${start}${end}${currency}\u00b0][\u0392\u0393\u039e\u039f]`,
];

const BADNESS = new RegExp(RULES.join('|'), 'gu');
const BADNESS_ONCE = new RegExp(RULES.join('|'), 'u');

/** How many unlikely sequences the text has (non-overlapping, as ftfy.badness.badness counts). */
export function badness(text: string): number {
  return text.match(BADNESS)?.length ?? 0;
}

/** True when some part of the text looks like mojibake (ftfy.badness.is_bad). */
export function isBad(text: string): boolean {
  return BADNESS_ONCE.test(text);
}
