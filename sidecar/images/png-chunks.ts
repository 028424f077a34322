// PNG text chunks (PNG spec, §11.3.4): sharp/libvips cannot write a text chunk with an arbitrary
// keyword, so we insert it into the encoded bytes ourselves. Like PIL (which AUTOMATIC1111 uses), the
// text goes in a tEXt chunk when it is Latin-1 and in an uncompressed iTXt (UTF-8) chunk otherwise.

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses) of `bytes`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export class PngFormatError extends Error {
  override name = 'PngFormatError';
}

interface Chunk {
  type: string;
  /** offset of the chunk's length field */
  start: number;
  data: Uint8Array;
}

/** The chunks of a PNG, with CRCs checked. */
export function readChunks(png: Uint8Array): Chunk[] {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new PngFormatError('not a PNG (bad signature)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: Chunk[] = [];
  let at = 8;
  while (at < png.length) {
    if (at + 12 > png.length) throw new PngFormatError(`truncated chunk header at byte ${at}`);
    const len = view.getUint32(at);
    if (at + 12 + len > png.length) throw new PngFormatError(`chunk at byte ${at} claims ${len} bytes, past the end`);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + len);
    if (crc32(png.subarray(at + 4, at + 8 + len)) !== view.getUint32(at + 8 + len)) throw new PngFormatError(`bad CRC in ${type} chunk at byte ${at}`);
    chunks.push({ type, start: at, data });
    at += 12 + len;
    if (type === 'IEND') break;
  }
  return chunks;
}

function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function isLatin1(s: string): boolean {
  return /^[\x00-\xff]*$/.test(s);
}

/** The chunk PIL would write for PngInfo.add_text(keyword, text). */
export function textChunk(keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || keyword.startsWith(' ') || keyword.endsWith(' ')) {
    throw new RangeError(`PNG text keyword must be 1-79 Latin-1 characters without leading/trailing spaces, got ${JSON.stringify(keyword)}`);
  }
  const key = Uint8Array.from(keyword, (c) => c.charCodeAt(0));
  if (isLatin1(text)) {
    const body = Uint8Array.from(text, (c) => c.charCodeAt(0));
    return makeChunk('tEXt', concat([key, [0], body]));
  }
  // iTXt: keyword \0 compression-flag(0) method(0) language-tag "" \0 translated-keyword "" \0 UTF-8 text
  return makeChunk('iTXt', concat([key, [0, 0, 0, 0, 0], new TextEncoder().encode(text)]));
}

/** A copy of `png` with `chunk` inserted before the first IDAT. */
export function insertChunk(png: Uint8Array, chunk: Uint8Array): Uint8Array {
  const idat = readChunks(png).find((c) => c.type === 'IDAT');
  if (!idat) throw new PngFormatError('PNG has no IDAT chunk');
  return concat([png.subarray(0, idat.start), chunk, png.subarray(idat.start)]);
}

/** Every tEXt and uncompressed iTXt chunk, keyword → text. */
export function readTextChunks(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const latin1 = new TextDecoder('latin1');
  for (const { type, data } of readChunks(png)) {
    const nul = data.indexOf(0);
    if (nul < 0) continue;
    const key = latin1.decode(data.subarray(0, nul));
    if (type === 'tEXt') out[key] = latin1.decode(data.subarray(nul + 1));
    else if (type === 'iTXt' && data[nul + 1] === 0) {
      // skip compression flag/method, then the language tag and translated keyword (NUL-terminated)
      const lang = data.indexOf(0, nul + 3);
      const translated = lang < 0 ? -1 : data.indexOf(0, lang + 1);
      if (translated >= 0) out[key] = new TextDecoder().decode(data.subarray(translated + 1));
    }
  }
  return out;
}

function concat(parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
