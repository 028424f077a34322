// Decoding a byte string as UTF-8 the way ftfy's "utf-8-variants" codec does: standard UTF-8, plus the
// two variants mojibake repair meets — CESU-8 (a character beyond U+FFFF written as the UTF-8 of its
// two UTF-16 surrogates, as Java and old MySQL do) and Java's two-byte NUL (C0 80). Anything else that
// is not UTF-8 fails, as Python's strict decoder does.

import { byteArray } from './charmaps';

// ignoreBOM: a leading EF BB BF is a character of the text here, not a marker to drop
const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** A CESU-8 surrogate pair, 11101101 1010abcd 10efghij 11101101 1011klmn 10opqrst, or Java's NUL. */
const VARIANT = /\xed([\xa0-\xaf])([\x80-\xbf])\xed([\xb0-\xbf])([\x80-\xbf])|\xc0\x80/g;

function strict(bytes: string): string | undefined {
  try {
    return STRICT.decode(byteArray(bytes));
  } catch {
    return undefined;
  }
}

/** The text, or undefined when the bytes are not (variant) UTF-8. */
export function decodeUtf8Variants(bytes: string): string | undefined {
  let out = '';
  let from = 0;
  for (const m of bytes.matchAll(VARIANT)) {
    const before = strict(bytes.slice(from, m.index));
    if (before === undefined) return undefined;
    out += before + (m[1] === undefined ? '\0' : String.fromCodePoint(0x10000 + cesuBits(m)));
    from = m.index + m[0].length;
  }
  const rest = strict(bytes.slice(from));
  return rest === undefined ? undefined : out + rest;
}

/** The 20 bits a CESU-8 pair carries: abcd efghij klmn opqrst. */
function cesuBits(m: RegExpMatchArray): number {
  const [b1, b2, b4, b5] = [m[1]!, m[2]!, m[3]!, m[4]!].map((c) => c.charCodeAt(0)) as [number, number, number, number];
  return ((b1 & 0x0f) << 16) | ((b2 & 0x3f) << 10) | ((b4 & 0x0f) << 6) | (b5 & 0x3f);
}
