// Images in and out of the benchmark: PNG files to the recogniser's 64×64 RGB bytes, and the
// before/after grid (one row per variant, one column per prompt image).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { IMAGE_SIZE } from '../recogniser/model';

/** RGB bytes of image files at the recogniser's size (resized when a model drew another size). */
export async function readRgb(files: readonly string[]): Promise<Uint8Array> {
  const out = new Uint8Array(files.length * IMAGE_SIZE * IMAGE_SIZE * 3);
  for (const [i, f] of files.entries()) {
    const { data } = await sharp(f).removeAlpha().resize(IMAGE_SIZE, IMAGE_SIZE, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    out.set(data, i * data.length);
  }
  return out;
}

export async function imagesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((e: Error) => {
    throw new Error(`quality: cannot read the instance images in ${dir} (${e.message})`);
  });
  const files = names.filter((n) => /\.(png|jpe?g|webp)$/i.test(n)).sort().map((n) => join(dir, n));
  if (!files.length) throw new Error(`quality: no images (.png, .jpg, .webp) in ${dir}`);
  return files;
}

/** Rows of equally many images, each shown at twice the recogniser's size with a 4 px gutter. */
export async function writeGrid(file: string, rows: readonly (readonly string[])[]): Promise<void> {
  const cell = IMAGE_SIZE * 2;
  const gap = 4;
  const cols = Math.max(...rows.map((r) => r.length));
  const tiles = await Promise.all(
    rows.flatMap((row, y) => row.map(async (f, x) => ({ input: await sharp(f).resize(cell, cell, { kernel: 'nearest' }).png().toBuffer(), left: gap + x * (cell + gap), top: gap + y * (cell + gap) }))),
  );
  await sharp({ create: { width: gap + cols * (cell + gap), height: gap + rows.length * (cell + gap), channels: 3, background: '#808080' } }).composite(tiles).png().toFile(file);
}
