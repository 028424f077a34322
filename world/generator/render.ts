// Scenes to pixels with sharp (libvips + librsvg, already a product dependency).
import sharp from 'sharp';
import type { Scene } from './scene';
import { sceneSvg } from './svg';

/** size×size RGB, interleaved, 8 bits per channel. */
export async function renderRgb(s: Scene, size: number): Promise<Uint8Array> {
  const { data, info } = await sharp(Buffer.from(sceneSvg(s, size))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) throw new Error(`world: rendered ${info.width}×${info.height}×${info.channels}, expected ${size}×${size}×3`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export async function writeScenePng(s: Scene, size: number, file: string): Promise<void> {
  await sharp(Buffer.from(sceneSvg(s, size))).removeAlpha().png().toFile(file);
}
