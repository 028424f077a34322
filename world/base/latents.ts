// Stage 2: the frozen VAE's latents of the whole training set, encoded once: the mean of each image's
// latent distribution (its std is tiny after training), and the scaling factor that gives them unit
// variance (SD 1.x's 0.18215 was measured the same way for its VAE). Cached in the work folder.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SdModel } from '../../sidecar/pipeline/sd-model';
import { IMAGE_SIZE, LATENT_SIZE } from './config';
import { imageBatch, type WorldSet } from './data';

export const LATENT_PER = 4 * LATENT_SIZE * LATENT_SIZE;

export interface CachedLatents {
  /** [count, 4, 16, 16], unscaled. */
  means: Float32Array;
  /** 1 / std of every latent value of the set. */
  scalingFactor: number;
}

export async function cachedLatents(work: string, model: SdModel, set: WorldSet, log: (s: string) => void): Promise<CachedLatents> {
  const file = join(work, `latents-${set.count}.f32`);
  const meta = join(work, `latents-${set.count}.json`);
  try {
    const { scalingFactor } = JSON.parse(await readFile(meta, 'utf8')) as { scalingFactor: number };
    const buf = await readFile(file);
    const means = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    if (means.length === set.count * LATENT_PER) return { means, scalingFactor };
  } catch {
    /* not encoded yet */
  }
  log(`encoding ${set.count} images with the trained VAE…`);
  const means = new Float32Array(set.count * LATENT_PER);
  const chunk = 50;
  for (let i = 0; i < set.count; i += chunk) {
    const idx = Array.from({ length: Math.min(chunk, set.count - i) }, (_, k) => i + k);
    const out = await model.vaeEncode(imageBatch(set, idx), { batch: idx.length, height: IMAGE_SIZE, width: IMAGE_SIZE });
    means.set(out.mean!, i * LATENT_PER);
  }
  await model.release('vae_encoder');
  let sum = 0;
  let sq = 0;
  for (const v of means) (sum += v), (sq += v * v);
  const mu = sum / means.length;
  const std = Math.sqrt(sq / means.length - mu * mu);
  const scalingFactor = 1 / std;
  log(`latents: mean ${mu.toFixed(4)}, std ${std.toFixed(4)} → scaling_factor ${scalingFactor.toFixed(5)}`);
  await writeFile(`${file}.tmp`, means);
  await rename(`${file}.tmp`, file);
  await writeFile(meta, JSON.stringify({ scalingFactor, mean: mu, std }));
  return { means, scalingFactor };
}
