// Repairs to the bytes recovered from mojibake before they are decoded as UTF-8, as ftfy 6 makes them
// (byte strings: one character per byte, see charmaps.ts).

/** UTF-8 sequences that would be whole if a space were the byte A0 (a no-break space some program
 *  "helpfully" turned into a space). Only lead bytes whose A0 form is a likely character: C2 (nbsp),
 *  C3 (à), C5 (Š), CE (Π), D0 (Р), D9 (Arabic zero); E0–E3 (not after E0/E1 directly: rare scripts,
 *  and E1 is Latin-1 "á"); F0. Never in place of 85, which is "…" in windows-1252. */
export const ALTERED_UTF8 = new RegExp(
  [
    '[\\xc2\\xc3\\xc5\\xce\\xd0\\xd9] ',
    '[\\xe2\\xe3] [\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf]',
    '[\\xe0-\\xe3][\\x80-\\x84\\x86-\\x9f\\xa1-\\xbf] ',
    '\\xf0 [\\x80-\\xbf]{2}',
    '\\xf0[\\x80-\\xbf] [\\x80-\\xbf]',
    '\\xf0[\\x80-\\xbf]{2} ',
  ].join('|'),
  'g',
);

/** "Ã " standing alone is nearly always "à" whose A0 became the space after it (French "à la"):
 *  keep that space too. Not before the Portuguese contractions "às", "àquele", "àquela", "àquilo". */
const A_GRAVE_WORD = /\xc3 (?! |quele|quela|quilo|s )/g;

/** ftfy's restore_byte_a0: put back the A0 bytes that became spaces inside UTF-8 sequences. */
export function restoreByteA0(bytes: string): string {
  return bytes.replace(A_GRAVE_WORD, '\xc3\xa0 ').replace(ALTERED_UTF8, (seq) => seq.replaceAll(' ', '\xa0'));
}

/** UTF-8 sequences with a byte lost: 1A is what a sloppy charmap encodes "�" as (a byte some decoder
 *  already replaced), "?" one some encoder replaced (at most one per sequence, and only after C2/C3 in
 *  two-byte ones). Also CESU-8 surrogate pairs with a lost byte, and a lone 1A. */
const LOSSY_UTF8 = new RegExp(
  [
    '[\\xc2-\\xdf]\\x1a',
    '[\\xc2\\xc3]\\?',
    '\\xed[\\xa0-\\xaf][\\x1a?]\\xed[\\xb0-\\xbf][\\x1a?\\x80-\\xbf]',
    '\\xed[\\xa0-\\xaf][\\x1a?\\x80-\\xbf]\\xed[\\xb0-\\xbf][\\x1a?]',
    '[\\xe0-\\xef][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xe0-\\xef][\\x1a\\x80-\\xbf][\\x1a?]',
    '[\\xf0-\\xf4][\\x1a?][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a?][\\x1a\\x80-\\xbf]',
    '[\\xf0-\\xf4][\\x1a\\x80-\\xbf][\\x1a\\x80-\\xbf][\\x1a?]',
    '\\x1a',
  ].join('|'),
  'g',
);

/** ftfy's replace_lossy_sequences: each such sequence becomes the UTF-8 of "�" (EF BF BD). */
export function replaceLossySequences(bytes: string): string {
  return bytes.replace(LOSSY_UTF8, '\xef\xbf\xbd');
}
