// Writing generated images as PNG files carrying their generation parameters (see infotext.ts).
// Pixels are encoded by sharp; the "parameters" chunk is inserted into the encoded bytes; the file
// is written atomically (temp file + rename) so a viewer never sees half an image.

import { writeAtomic } from '../weights/atomic-file';
import { readFile, writeFile } from 'node:fs/promises';
import sharp from 'sharp';
import { parseParameters, type ParsedParameters } from './infotext';
import { insertChunk, readTextChunks, textChunk } from './png-chunks';

/**
 * Image → interleaved RGB bytes. A Float32Array is a decoded image, CHW (3×H×W) in [−1, 1], mapped
 * as diffusers does: round(clamp(x/2 + 0.5, 0, 1)·255) in float32. A Uint8Array is already HWC RGB.
 */
export function toRgbBytes(image: Float32Array | Uint8Array, width: number, height: number): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  const n = width * height;
  if (image.length !== 3 * n) throw new RangeError(`a ${width}x${height} RGB image has ${3 * n} values, got ${image.length}`);
  if (image instanceof Uint8Array) return image;
  const f = Math.fround;
  const out = new Uint8Array(3 * n);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < n; p++) {
      const v = f(f(image[c * n + p]! / 2) + 0.5);
      const clamped = v > 1 ? 1 : v >= 0 ? v : 0; // NaN → 0
      out[p * 3 + c] = roundHalfEven(f(clamped * 255));
    }
  }
  return out;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return x % 1 === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Encoded PNG bytes, with a "parameters" text chunk when `parameters` is given. */
export async function encodePng(image: Float32Array | Uint8Array, width: number, height: number, parameters?: string): Promise<Uint8Array> {
  const rgb = toRgbBytes(image, width, height);
  const png = await sharp(rgb, { raw: { width, height, channels: 3 } }).png().toBuffer();
  const bytes = new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
  return parameters === undefined ? bytes : insertChunk(bytes, textChunk('parameters', parameters));
}

/** Writes the PNG atomically. */
export async function writePng(path: string, image: Float32Array | Uint8Array, width: number, height: number, parameters?: string): Promise<void> {
  const bytes = await encodePng(image, width, height, parameters);
  await writeAtomic(path, (tmp) => writeFile(tmp, bytes));
}

/** The generation parameters stored in a PNG (ours or AUTOMATIC1111's), or undefined if it has none. */
export async function readPngParameters(path: string): Promise<ParsedParameters | undefined> {
  const text = readTextChunks(new Uint8Array(await readFile(path))).parameters;
  return text === undefined ? undefined : parseParameters(text);
}
