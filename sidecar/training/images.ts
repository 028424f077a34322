// Training images: every image file in a folder, EXIF-rotated, cropped to a square around the
// subject (sharp's attention strategy) at the training resolution, as [3, res, res] in [-1, 1].
// Files that cannot be read are skipped and reported, never fatal.
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.tif', '.tiff', '.gif', '.avif'];

export interface PreparedImage {
  file: string;
  /** [3, res, res], channel-major, in [-1, 1]. */
  pixels: Float32Array;
}

export interface PreparedFolder {
  images: PreparedImage[];
  skipped: { file: string; reason: string }[];
}

export async function listImages(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()) && !n.startsWith('.')).sort().map((n) => join(folder, n));
}

export async function prepareImage(file: string, res: number): Promise<Float32Array> {
  const { data, info } = await sharp(file).rotate().resize(res, res, { fit: 'cover', position: 'attention' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== res || info.height !== res) throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${res}x${res}x3`);
  const plane = res * res;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = data[i * 3 + c]! / 127.5 - 1;
  return out;
}

export async function prepareFolder(folder: string, res: number): Promise<PreparedFolder> {
  const out: PreparedFolder = { images: [], skipped: [] };
  for (const file of await listImages(folder)) {
    try {
      out.images.push({ file, pixels: await prepareImage(file, res) });
    } catch (e) {
      out.skipped.push({ file, reason: (e as Error).message.split('\n')[0]! });
    }
  }
  return out;
}
