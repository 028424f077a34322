// npm run train-base [-- --work DIR --out DIR --vae-steps N --unet-steps N --images N --seed S]
// Pretrains the world base model in four resumable stages (README.md): the VAE, its decoder fine-tuned
// with the encoder frozen, the encoder's latents of the training set, then the UNet and text encoder
// together. Every stage saves its state in the work
// folder every few minutes and on Ctrl-C; running the command again continues where it stopped (and
// skips finished stages). Raise --unet-steps to train longer. The float16 model is written to --out
// at every save.
import { resolve } from 'node:path';
import { numberFlag, parseArgs } from '../../sidecar/cli/args';
import { UsageError } from '../../sidecar/cli/usage';
import { SdModel } from '../../sidecar/pipeline/sd-model';
import { openRuntime } from '../../sidecar/runtime/runtime';
import { loadWorldSet } from './data';
import { exportModel } from './export';
import { initialWeights, writeComponent, writeSkeleton } from './folder';
import { cachedLatents } from './latents';
import { trainUnet, UNET_TRAINING } from './unet-train';
import { DECODER_TRAINING, fineTuneDecoder, trainVae, VAE_TRAINING } from './vae-train';

export const DEFAULTS = { work: '.cache/world-base', out: 'data/world-sd', images: 20000, seed: 1 };
const HELP = `usage: npm run train-base -- [--work DIR] [--out DIR] [--vae-steps N] [--decoder-steps N] [--unet-steps N] [--decay-from N] [--images N] [--seed S]
defaults: --work ${DEFAULTS.work} --out ${DEFAULTS.out} --images ${DEFAULTS.images} --seed ${DEFAULTS.seed} --vae-steps ${VAE_TRAINING.steps} --decoder-steps ${DECODER_TRAINING.steps} --unet-steps ${UNET_TRAINING.steps}
--decay-from N: from UNet step N to the last, the learning rate decays (cosine) to a tenth (default: constant).
The work folder holds the rendered images, the latents and each stage's state; keep it to resume.`;

async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['work', 'out', 'vae-steps', 'decoder-steps', 'unet-steps', 'decay-from', 'images', 'seed'] as const, switches: [] as const, help: HELP });
  if (a.positional.length) throw new UsageError(`unexpected argument "${a.positional[0]}"\n\n${HELP}`);
  const work = resolve(a.flags.work ?? DEFAULTS.work);
  const out = resolve(a.flags.out ?? DEFAULTS.out);
  const images = numberFlag(a.flags.images, 'images', DEFAULTS.images, { integer: true, min: 100 });
  const seed = numberFlag(a.flags.seed, 'seed', DEFAULTS.seed, { integer: true, min: 0 });
  const vaeO = { ...VAE_TRAINING, steps: numberFlag(a.flags['vae-steps'], 'vae-steps', VAE_TRAINING.steps, { integer: true, min: 1 }) };
  const decoderO = { ...DECODER_TRAINING, steps: numberFlag(a.flags['decoder-steps'], 'decoder-steps', DECODER_TRAINING.steps, { integer: true, min: 0 }) };
  const unetSteps = numberFlag(a.flags['unet-steps'], 'unet-steps', UNET_TRAINING.steps, { integer: true, min: 1 });
  const decayFrom = a.flags['decay-from'] === undefined ? undefined : numberFlag(a.flags['decay-from'], 'decay-from', 0, { integer: true, min: 0 });
  if (decayFrom !== undefined && decayFrom >= unetSteps) throw new UsageError(`--decay-from ${decayFrom} must be below --unet-steps ${unetSteps}`);
  const unetO = { ...UNET_TRAINING, steps: unetSteps, decayFrom };
  const t0 = Date.now();
  const log = (s: string) => console.log(`${new Date().toISOString().slice(11, 19)}  ${s}`);
  const rt = await openRuntime({ providers: ['cpu'] });
  try {
    const set = await loadWorldSet(work, seed, images, log);
    const trainedVae = await trainVae(rt, work, set, vaeO, seed, log);
    if (!trainedVae) return log('stopped during the VAE stage; run the command again to continue');
    const detail = await loadWorldSet(work, seed, images, log, { detail: true });
    const vae = await fineTuneDecoder(rt, work, [set, detail], trainedVae, decoderO, seed, log);
    if (!vae) return log('stopped during the VAE decoder stage; run the command again to continue');
    // A float32 model folder the sidecar opens: the trained VAE (its encoder makes the latents), and the UNet and text encoder's
    // seeded initial values (what a fresh run starts from; a resumed run replaces them with its state).
    const modelDir = resolve(work, 'model');
    const init = initialWeights(seed);
    await writeSkeleton(modelDir);
    await writeComponent(modelDir, 'vae', vae);
    await writeComponent(modelDir, 'unet', init.unet);
    await writeComponent(modelDir, 'text_encoder', init.text_encoder);
    const model = await SdModel.open(modelDir, rt);
    const latents = await cachedLatents(work, model, set, log);
    const meta = { world_images: String(images), world_seed: String(seed), vae_steps: String(vaeO.steps), vae_decoder_steps: String(decoderO.steps), unet_batch: String(unetO.batch), unet_lr: String(unetO.lr) };
    const done = await trainUnet(model, work, set, latents, unetO, seed, log, async (s) => {
      await exportModel(out, { vae, scalingFactor: latents.scalingFactor, unetAndText: s.weights, step: s.step }, { half: true, metadata: meta });
      log(`saved step ${s.step}; model written to ${out}`);
    });
    await model.close();
    log(done ? `finished ${unetO.steps} steps (${((Date.now() - t0) / 60000).toFixed(1)} min this session)` : 'stopped; run the command again to continue');
  } finally {
    await rt.close();
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof UsageError ? e.message : e instanceof Error ? `train-base: ${e.stack}` : e);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
