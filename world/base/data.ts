// The training set: world images rendered once (item i of the world seed, generator/dataset.ts) and
// kept in the work folder as raw RGB bytes plus their captions, so a resumed run reads the same data
// without re-rendering. Pixels go to the networks as [-1, 1], as SD's training scripts feed them.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderRgb } from '../generator/render';
import { worldItem } from '../generator/dataset';
import { IMAGE_SIZE } from './config';

export interface WorldSet {
  count: number;
  /** [count, 64, 64, 3] RGB bytes. */
  pixels: Uint8Array;
  captions: string[];
}

const PER = IMAGE_SIZE * IMAGE_SIZE * 3;

/** Items 0..count-1 of the world seed; `detail`: the VAE's codec set, the same scenes with fine detail
 *  on each object (generator/scene.ts `Detail`). */
export async function loadWorldSet(work: string, seed: number, count: number, log: (s: string) => void, o: { detail?: boolean } = {}): Promise<WorldSet> {
  const base = join(work, `${o.detail ? 'detail' : 'world'}-${seed}-${count}`);
  try {
    const pixels = new Uint8Array(await readFile(`${base}.rgb`));
    const captions = JSON.parse(await readFile(`${base}.captions.json`, 'utf8')) as string[];
    if (pixels.length === count * PER && captions.length === count) return { count, pixels, captions };
  } catch {
    /* not rendered yet */
  }
  log(`rendering ${count} world images${o.detail ? ' with detail' : ''} (seed ${seed})…`);
  const pixels = new Uint8Array(count * PER);
  const captions: string[] = [];
  for (let i = 0; i < count; i++) {
    const { scene, caption } = worldItem(seed, i, { detail: o.detail });
    pixels.set(await renderRgb(scene, IMAGE_SIZE), i * PER);
    captions.push(caption);
  }
  await mkdir(work, { recursive: true });
  await writeFile(`${base}.rgb.tmp`, pixels);
  await writeFile(`${base}.captions.json`, JSON.stringify(captions));
  await rename(`${base}.rgb.tmp`, `${base}.rgb`);
  return { count, pixels, captions };
}

/** Items `idx` as a [B, 3, 64, 64] batch in [-1, 1]. */
export function imageBatch(set: WorldSet, idx: readonly number[]): Float32Array {
  const hw = IMAGE_SIZE * IMAGE_SIZE;
  const out = new Float32Array(idx.length * PER);
  idx.forEach((j, b) => {
    const src = set.pixels.subarray(j * PER, (j + 1) * PER);
    for (let p = 0; p < hw; p++) for (let c = 0; c < 3; c++) out[b * PER + c * hw + p] = src[p * 3 + c]! / 127.5 - 1;
  });
  return out;
}
