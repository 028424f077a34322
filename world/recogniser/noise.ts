// What the recogniser learns to call "unrecognisable", and the blur it learns to see through: images
// with no object (smooth colour noise at a random scale plus pixel noise, as a model that draws nothing
// coherent produces), and a [1 2 1]/4 blur in place, the softness a VAE decoder leaves on edges.
import { WorldRandom } from '../generator/random';

/** A seeded 64×64-style RGB image (bytes, HWC) of bilinearly upsampled random colours plus noise. */
export function noiseImage(seed: number, index: number, size: number): Uint8Array {
  const r = new WorldRandom(((seed * 2654435761) ^ (index * 40503)) >>> 0);
  const cells = 2 + r.int(7); // 2..8 colour cells per side: blobs to speckle
  const grid = Float32Array.from({ length: cells * cells * 3 }, () => r.uniform(0, 255));
  const speckle = r.uniform(0, 60);
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const gx = (x / (size - 1)) * (cells - 1);
      const gy = (y / (size - 1)) * (cells - 1);
      const x0 = Math.min(cells - 2, Math.floor(gx));
      const y0 = Math.min(cells - 2, Math.floor(gy));
      const fx = gx - x0;
      const fy = gy - y0;
      for (let c = 0; c < 3; c++) {
        const at = (i: number, j: number) => grid[(j * cells + i) * 3 + c]!;
        const v = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
        out[(y * size + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v + speckle * (r.next() - 0.5))));
      }
    }
  return out;
}

/** Blurs a [3, size, size] planar image in place, `passes` times, edges clamped. */
export function blur(img: Float32Array, size: number, passes: number): void {
  const tmp = new Float32Array(size);
  for (let p = 0; p < passes; p++)
    for (let c = 0; c < 3; c++) {
      const plane = img.subarray(c * size * size, (c + 1) * size * size);
      for (const [stride, step] of [[size, 1], [1, size]] as const)
        for (let line = 0; line < size; line++) {
          const base = line * stride;
          for (let i = 0; i < size; i++) tmp[i] = plane[base + i * step]!;
          for (let i = 0; i < size; i++) plane[base + i * step] = (tmp[Math.max(0, i - 1)]! + 2 * tmp[i]! + tmp[Math.min(size - 1, i + 1)]!) / 4;
        }
    }
}
