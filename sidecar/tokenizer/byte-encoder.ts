// GPT-2/CLIP byte-level alphabet: every byte 0..255 maps to one printable Unicode character, so BPE
// works on strings without whitespace or control characters. Printable Latin-1 bytes map to
// themselves; the other 68 bytes map to U+0100 onwards, in byte order.

function printable(b: number): boolean {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
}

export const BYTE_TO_CHAR: readonly string[] = (() => {
  const table: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable(b) ? b : next++);
  return table;
})();

const CHAR_TO_BYTE = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const utf8 = new TextEncoder();

/** UTF-8 bytes of `text`, each replaced by its alphabet character. */
export function byteEncode(text: string): string {
  let out = '';
  for (const b of utf8.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** Inverse of byteEncode (invalid UTF-8 becomes U+FFFD, as the reference's errors="replace"). */
export function byteDecode(encoded: string): string {
  const bytes: number[] = [];
  for (const ch of encoded) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) bytes.push(b);
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
