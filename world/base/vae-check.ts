// node --import tsx world/base/vae-check.ts [--work DIR] [--out FILE.png]
// How well the VAE in the work folder (its saved state, finished or not) reconstructs world images it
// never saw (world seed 2): held-out MSE in [-1, 1] units, and a PNG strip, originals above, their
// reconstructions (decoder of the latent mean) below.
import { resolve } from 'node:path';
import { parseArgs } from '../../sidecar/cli/args';
import { buildVaeDecoder, buildVaeEncoder } from '../../sidecar/models/autoencoder_kl';
import { emitModel } from '../../sidecar/onnx/emit';
import { type HostTensor, openRuntime } from '../../sidecar/runtime/runtime';
import { writePng, toRgbBytes } from '../../sidecar/images/png';
import { IMAGE_SIZE, LATENT_SIZE } from './config';
import { imageBatch, loadWorldSet } from './data';
import { componentParams, vaeConfig } from './folder';
import { loadState } from './state';
import { f32 } from './stepper';
import { vaeStatePath } from './vae-train';

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2), { values: ['work', 'out'] as const, switches: [] as const, help: 'usage: vae-check [--work DIR] [--out FILE.png]' });
  const work = resolve(a.flags.work ?? '.cache/world-base');
  const state = await loadState(vaeStatePath(work), componentParams('vae'));
  if (!state) throw new Error(`no VAE state in ${work}`);
  const n = 16;
  const set = await loadWorldSet(work, 2, n, () => {});
  const weights = (name: string) => ({ kind: 'bytes' as const, data: new Uint8Array(state.weights.get(name)!.buffer), dtype: 'F32' as const });
  const rt = await openRuntime({ providers: ['cpu'] });
  try {
    const cfg = vaeConfig();
    const enc = await rt.load({ bytes: emitModel(buildVaeEncoder(cfg, { batch: n, height: IMAGE_SIZE, width: IMAGE_SIZE }), { weights }).bytes }, { name: 'enc' });
    const dec = await rt.load({ bytes: emitModel(buildVaeDecoder(cfg, { batch: n, height: LATENT_SIZE, width: LATENT_SIZE }), { weights }).bytes }, { name: 'dec' });
    const x = imageBatch(set, Array.from({ length: n }, (_, i) => i));
    const mean = (await enc.run({ image: f32(x, [n, 3, IMAGE_SIZE, IMAGE_SIZE]) })).mean as HostTensor;
    const y = ((await dec.run({ latents: mean })).image as HostTensor).data as Float32Array;
    let se = 0;
    for (let i = 0; i < x.length; i++) se += (Math.max(-1, Math.min(1, y[i]!)) - x[i]!) ** 2;
    console.log(`VAE step ${state.step}: held-out MSE ${(se / x.length).toFixed(5)} (${n} images)`);
    const per = 3 * IMAGE_SIZE * IMAGE_SIZE;
    const W = n * IMAGE_SIZE;
    const strip = new Uint8Array(2 * IMAGE_SIZE * W * 3);
    for (const [row, src] of [x, y].entries())
      for (let i = 0; i < n; i++) {
        const rgb = toRgbBytes(src.subarray(i * per, (i + 1) * per), IMAGE_SIZE, IMAGE_SIZE);
        for (let r = 0; r < IMAGE_SIZE; r++) strip.set(rgb.subarray(r * IMAGE_SIZE * 3, (r + 1) * IMAGE_SIZE * 3), ((row * IMAGE_SIZE + r) * W + i * IMAGE_SIZE) * 3);
      }
    const out = resolve(a.flags.out ?? `${work}/vae-check.png`);
    await writePng(out, strip, W, 2 * IMAGE_SIZE);
    console.log(`wrote ${out}`);
  } finally {
    await rt.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
