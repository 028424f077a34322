// Training images: every image file in a folder, EXIF-rotated, cropped to a square around the
// subject (sharp's attention strategy) at the training resolution, as [3, res, res] in [-1, 1].
// Files that cannot be read are skipped and reported, never fatal; a photo smaller than the
// resolution (it gets upscaled, so blurry) or animated (only its first frame is used) is used with a
// warning naming it, and other files in the folder are listed once as ignored.
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp', '.bmp', '.tif', '.tiff', '.gif', '.avif'];

export interface PreparedImage {
  file: string;
  /** [3, res, res], channel-major, in [-1, 1]. */
  pixels: Float32Array;
  /** What the user should know about this photo (used anyway). */
  warnings: string[];
}

export interface PreparedFolder {
  images: PreparedImage[];
  skipped: { file: string; reason: string }[];
  /** Files in the folder that are not images (by extension), ignored. */
  ignored: string[];
}

/** Files of a folder that training ignores (not an image extension; hidden files excluded). */
export async function nonImageFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile() && !e.name.startsWith('.') && !IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())).map((e) => e.name).sort();
}

/** The warnings for a photo of this size and frame count at training resolution `res`. */
export function photoWarnings(width: number, height: number, frames: number, res: number): string[] {
  const out: string[] = [];
  if (Math.min(width, height) < res) out.push(`is ${width}×${height}, smaller than the training resolution: it is upscaled and will look blurry to the model (needs at least ${res} px on its shorter side for resolution ${res})`);
  if (frames > 1) out.push(`is animated (${frames} frames): only the first frame is used`);
  return out;
}

export async function listImages(folder: string): Promise<string[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  return names.filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()) && !n.startsWith('.')).sort().map((n) => join(folder, n));
}

export async function prepareImage(file: string, res: number): Promise<{ pixels: Float32Array; warnings: string[] }> {
  const meta = await sharp(file).metadata();
  const turned = (meta.orientation ?? 1) >= 5; // EXIF orientations 5–8 swap width and height
  const [w, h] = turned ? [meta.height ?? 0, meta.width ?? 0] : [meta.width ?? 0, meta.pageHeight ?? meta.height ?? 0];
  const warnings = photoWarnings(w, h, meta.pages ?? 1, res);
  const { data, info } = await sharp(file).rotate().resize(res, res, { fit: 'cover', position: 'attention' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== res || info.height !== res) throw new Error(`decoded to ${info.width}x${info.height}x${info.channels}, expected ${res}x${res}x3`);
  const plane = res * res;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = data[i * 3 + c]! / 127.5 - 1;
  return { pixels: out, warnings };
}

export async function prepareFolder(folder: string, res: number): Promise<PreparedFolder> {
  const out: PreparedFolder = { images: [], skipped: [], ignored: await nonImageFiles(folder) };
  for (const file of await listImages(folder)) {
    try {
      out.images.push({ file, ...(await prepareImage(file, res)) });
    } catch (e) {
      out.skipped.push({ file, reason: (e as Error).message.split('\n')[0]! });
    }
  }
  return out;
}

/** Log lines for a prepared folder: skipped files, photos with warnings, ignored files (once). */
export function folderReport(r: PreparedFolder, folder: string, what = 'photo'): string[] {
  return [
    ...r.skipped.map((s) => `skipped ${what} ${s.file}: ${s.reason}`),
    ...r.images.flatMap((i) => i.warnings.map((w) => `${what} ${i.file} ${w}`)),
    ...(r.ignored.length ? [`ignored ${r.ignored.length} file(s) in ${folder} that are not images: ${r.ignored.join(', ')}`] : []),
  ];
}
