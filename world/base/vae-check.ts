// node --import tsx world/base/vae-check.ts [--work DIR] [--out FILE.png]
// How well the VAE in the work folder (its saved state, with the fine-tuned decoder when that stage
// has run) reconstructs images it never saw: world images and codec-set images of world seed 2, and
// the DreamBooth subject (which no stage trains on): MSE in [-1, 1] units per set, the share of subject
// reconstructions the recogniser still calls the subject (the ceiling of DreamBooth's identity score:
// every generated image passes through this decoder), and a PNG strip, originals above, their
// reconstructions (decoder of the latent mean) below.
import { resolve } from 'node:path';
import { parseArgs } from '../../sidecar/cli/args';
import { buildVaeDecoder, buildVaeEncoder } from '../../sidecar/models/autoencoder_kl';
import { emitModel } from '../../sidecar/onnx/emit';
import { type HostTensor, openRuntime } from '../../sidecar/runtime/runtime';
import { writePng, toRgbBytes } from '../../sidecar/images/png';
import { worldItem } from '../generator/dataset';
import { renderRgb } from '../generator/render';
import { Recogniser } from '../recogniser/recognise';
import { IMAGE_SIZE, LATENT_SIZE } from './config';
import { imageBatch, loadWorldSet, type WorldSet } from './data';
import { componentParams, vaeConfig } from './folder';
import { loadState } from './state';
import { f32 } from './stepper';
import { isDecoderParam } from './vae-graph';
import { decoderStatePath, vaeStatePath } from './vae-train';

const PER = 3 * IMAGE_SIZE * IMAGE_SIZE;

async function subjectSet(n: number): Promise<WorldSet> {
  const pixels = new Uint8Array(n * PER);
  for (let i = 0; i < n; i++) pixels.set(await renderRgb(worldItem(2, i, { subject: true }).scene, IMAGE_SIZE), i * PER);
  return { count: n, pixels, captions: [] };
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2), { values: ['work', 'out'] as const, switches: [] as const, help: 'usage: vae-check [--work DIR] [--out FILE.png]' });
  const work = resolve(a.flags.work ?? '.cache/world-base');
  const state = await loadState(vaeStatePath(work), componentParams('vae'));
  if (!state) throw new Error(`no VAE state in ${work}`);
  const decoder = await loadState(decoderStatePath(work), componentParams('vae').filter((p) => isDecoderParam(p.name)));
  const vae = new Map([...state.weights, ...(decoder?.weights ?? [])]);
  const n = 8;
  const sets: [string, WorldSet][] = [
    ['world', await loadWorldSet(work, 2, n, () => {})],
    ['codec set', await loadWorldSet(work, 2, n, () => {}, { detail: true })],
    ['subject', await subjectSet(n)],
  ];
  const weights = (name: string) => ({ kind: 'bytes' as const, data: new Uint8Array(vae.get(name)!.buffer), dtype: 'F32' as const });
  const rt = await openRuntime({ providers: ['cpu'] });
  const recogniser = await Recogniser.open({ runtime: rt });
  try {
    const cfg = vaeConfig();
    const enc = await rt.load({ bytes: emitModel(buildVaeEncoder(cfg, { batch: n, height: IMAGE_SIZE, width: IMAGE_SIZE }), { weights }).bytes }, { name: 'enc' });
    const dec = await rt.load({ bytes: emitModel(buildVaeDecoder(cfg, { batch: n, height: LATENT_SIZE, width: LATENT_SIZE }), { weights }).bytes }, { name: 'dec' });
    console.log(`VAE step ${state.step}, decoder fine-tune ${decoder ? `step ${decoder.step}` : 'not run'}`);
    const W = n * IMAGE_SIZE;
    const strip = new Uint8Array(2 * sets.length * IMAGE_SIZE * W * 3);
    for (const [k, [name, set]] of sets.entries()) {
      const x = imageBatch(set, Array.from({ length: n }, (_, i) => i));
      const mean = (await enc.run({ image: f32(x, [n, 3, IMAGE_SIZE, IMAGE_SIZE]) })).mean as HostTensor;
      const y = ((await dec.run({ latents: mean })).image as HostTensor).data as Float32Array;
      let se = 0;
      for (let i = 0; i < x.length; i++) se += (Math.max(-1, Math.min(1, y[i]!)) - x[i]!) ** 2;
      const rgb = new Uint8Array(n * PER);
      for (let i = 0; i < n; i++) rgb.set(toRgbBytes(y.subarray(i * PER, (i + 1) * PER), IMAGE_SIZE, IMAGE_SIZE), i * PER);
      const seen = name === 'subject' ? (await recogniser.recognise(rgb, n)).filter((r) => r.classes.shape === 'subject').length : undefined;
      console.log(`${name}: held-out MSE ${(se / x.length).toFixed(5)}${seen === undefined ? '' : `; reconstructions recognised as the subject ${seen}/${n}`}`);
      for (const [row, src] of [x, y].entries())
        for (let i = 0; i < n; i++) {
          const img = toRgbBytes(src.subarray(i * PER, (i + 1) * PER), IMAGE_SIZE, IMAGE_SIZE);
          for (let r = 0; r < IMAGE_SIZE; r++) strip.set(img.subarray(r * IMAGE_SIZE * 3, (r + 1) * IMAGE_SIZE * 3), (((2 * k + row) * IMAGE_SIZE + r) * W + i * IMAGE_SIZE) * 3);
        }
    }
    const out = resolve(a.flags.out ?? `${work}/vae-check.png`);
    await writePng(out, strip, W, 2 * sets.length * IMAGE_SIZE);
    console.log(`wrote ${out}`);
  } finally {
    await recogniser.close();
    await rt.close();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
