// npm run recogniser:train [-- --steps N --images N --seed S --out FILE]
// Trains the recogniser from scratch on freshly rendered world images and writes its weights
// (default: world/recogniser/weights.safetensors, the committed file). Time on the dev machine: bench/QUALITY.md.
import { resolve } from 'node:path';
import { numberFlag, parseArgs } from '../../sidecar/cli/args';
import { UsageError } from '../../sidecar/cli/usage';
import { DEFAULT_TRAINING, trainRecogniser } from './train';
import { saveWeights, WEIGHTS_FILE } from './weights';

const HELP = `usage: npm run recogniser:train -- [--steps N] [--images N] [--seed S] [--batch N] [--lr X] [--out FILE]
defaults: ${JSON.stringify(DEFAULT_TRAINING)}, --out ${WEIGHTS_FILE}`;

async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['steps', 'images', 'seed', 'batch', 'lr', 'out'] as const, switches: [] as const, help: HELP });
  if (a.positional.length) throw new UsageError(`unexpected argument "${a.positional[0]}"\n\n${HELP}`);
  const d = DEFAULT_TRAINING;
  const o = {
    steps: numberFlag(a.flags.steps, 'steps', d.steps, { integer: true, min: 1 }),
    images: numberFlag(a.flags.images, 'images', d.images, { integer: true, min: 1 }),
    seed: numberFlag(a.flags.seed, 'seed', d.seed, { integer: true, min: 0 }),
    batch: numberFlag(a.flags.batch, 'batch', d.batch, { integer: true, min: 1 }),
    lr: numberFlag(a.flags.lr, 'lr', d.lr, { integer: false, min: 0 }),
  };
  const out = resolve(a.flags.out ?? WEIGHTS_FILE);
  const t0 = Date.now();
  const weights = await trainRecogniser({ ...o, onLog: (s, loss, acc, t) => console.log(`step ${s}/${o.steps}  loss ${loss.toFixed(4)}  shape acc (batch) ${(acc * 100).toFixed(0)}%  ${t.toFixed(0)} s`) });
  const seconds = (Date.now() - t0) / 1000;
  await saveWeights(out, weights, { ...Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)])), seconds: seconds.toFixed(0) });
  console.log(`wrote ${out} (${seconds.toFixed(0)} s in all)`);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof UsageError ? e.message : e instanceof Error ? `recogniser: ${e.stack}` : e);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
