// The single-byte encodings ftfy tries, in its order, when it looks for the UTF-8 a text was before it
// was decoded in the wrong one (data/ftfy-tables.json, from ftfy 6.1.1's codecs). Bytes are held as
// "byte strings", one character per byte (U+0000–U+00FF), so byte-level fixes can be regexes.

import TABLES from '../../data/ftfy-tables.json';

export interface Charmap {
  readonly name: string;
  /** The 256 characters of bytes 0x00–0xff. */
  readonly chars: string;
  /** The text's bytes, or undefined when one of its characters has none in this encoding. */
  encode(text: string): string | undefined;
}

function charmap(name: string, chars: string): Charmap {
  const byteOf = new Map<string, string>();
  for (let b = 0; b < 256; b++) byteOf.set(chars[b]!, String.fromCharCode(b)); // a bijection: the generator checks
  return {
    name,
    chars,
    encode(text) {
      let out = '';
      for (const c of text) {
        const byte = byteOf.get(c);
        if (byte === undefined) return undefined;
        out += byte;
      }
      return out;
    },
  };
}

/** In the order ftfy tries them (the JSON object's key order). */
export const CHARMAPS: readonly Charmap[] = Object.entries(TABLES.charmaps).map(([name, chars]) => charmap(name, chars));

export function charmapNamed(name: string): Charmap {
  const found = CHARMAPS.find((c) => c.name === name);
  if (found === undefined) throw new Error(`data/ftfy-tables.json has no charmap ${name}`);
  return found;
}

/** ftfy's "sloppy-" codecs, whose byte 0x1a stands for a character already lost as "\ufffd". */
export function isSloppy(map: Charmap): boolean {
  return map.name.startsWith('sloppy-');
}

/** Bytes (a byte string) as a Uint8Array, for TextDecoder. */
export function byteArray(bytes: string): Uint8Array {
  return Uint8Array.from(bytes, (c) => c.charCodeAt(0));
}
