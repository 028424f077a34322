// npm run quality [-- --model DIR] [--lora FILE] [--after MODEL|LORA] [--train VARIANTS] [--count N] [--steps N] [--seed S] [--out DIR]
// Draws the fixed prompt set (quality/prompts.ts) with the model (default: the bundled fixtures/tiny-sd)
// through the product's generate job, and optionally with trained results ("after": a LoRA on the same
// model, or another model folder; "--train": DreamBooth variants trained here by the product's train
// job), recognises every image and prints the table; writes results.json and grid.png (rows: world
// renders, model, each result; columns: the prompts) to --out.
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { numberFlag, parseArgs } from '../../sidecar/cli/args';
import { UsageError } from '../../sidecar/cli/usage';
import { openRuntime } from '../../sidecar/runtime/runtime';
import { Recogniser } from '../recogniser/recognise';
import { DREAMBOOTH_VARIANTS, type DreamBoothVariant, trainVariant } from './dreambooth';
import { imagesIn, readRgb, writeGrid } from './images';
import { measureVariant, type Variant } from './run';
import { qualityTable } from './table';

const ROOT = resolve(__dirname, '..', '..');
const HELP = `usage: npm run quality -- [--model DIR] [--lora FILE] [--after MODEL|LORA.safetensors] [--instances DIR]
                          [--train all|NAME,…] [--train-steps N] [--count N] [--steps N] [--guidance X] [--seed S] [--out DIR]
  --model      base model (default fixtures/tiny-sd, random weights: the chance-level row)
  --after      the trained result: a LoRA (.safetensors file applied to --model) or a model folder
  --instances  the subject's instance images (default examples/shape-ohwx/photos)
  --train      DreamBooth on --model with the instance images, then measure each result:
               ${DREAMBOOTH_VARIANTS.map((v) => v.name).join(', ')} (or all); --train-steps overrides their steps
  --count      images per prompt (default 4); --steps 20, --guidance 3, --seed 1
  --out        results.json, grid.png and the images (default runs/quality)`;

async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['model', 'lora', 'after', 'instances', 'train', 'train-steps', 'count', 'steps', 'guidance', 'seed', 'out'] as const, switches: [] as const, help: HELP });
  if (a.positional.length) throw new UsageError(`unexpected argument "${a.positional[0]}"\n\n${HELP}`);
  const model = resolve(a.flags.model ?? join(ROOT, 'fixtures', 'tiny-sd'));
  const outDir = resolve(a.flags.out ?? join(ROOT, 'runs', 'quality'));
  const variants: Variant[] = [{ name: 'world renders (ceiling)', world: true }, { name: a.flags.lora ? 'model + lora' : 'model', model, lora: a.flags.lora && resolve(a.flags.lora) }];
  if (a.flags.after) {
    const after = resolve(a.flags.after);
    variants.push(/\.safetensors$/i.test(after) && !a.flags.lora ? { name: 'after', model, lora: after } : { name: 'after', model: after });
  }
  const training = trainingVariants(a.flags.train, a.flags['train-steps']);
  const instanceDir = resolve(a.flags.instances ?? join(ROOT, 'examples', 'shape-ohwx', 'photos'));
  const runtime = await openRuntime({ providers: ['cpu'] });
  const recogniser = await Recogniser.open({ runtime });
  try {
    const instanceFiles = await imagesIn(instanceDir);
    const instances = await recogniser.recognise(await readRgb(instanceFiles), instanceFiles.length);
    const o = {
      count: numberFlag(a.flags.count, 'count', 4, { integer: true, min: 1 }),
      steps: numberFlag(a.flags.steps, 'steps', 20, { integer: true, min: 1 }),
      // the world model's best in a sweep (bench/QUALITY.md): small models want less guidance than SD's 7.5
      guidance: numberFlag(a.flags.guidance, 'guidance', 3, { integer: false, min: 0 }),
      seed: numberFlag(a.flags.seed, 'seed', 1, { integer: true, min: 0 }),
      outDir, runtime, recogniser, instances,
      ctx: { progress: () => undefined, log: (level: string, m: string) => level !== 'debug' && console.error(`${level}: ${m}`), signal: new AbortController().signal },
    };
    for (const v of training) {
      const t0 = Date.now();
      variants.push(await trainVariant(v, { model, instances: instanceDir, outDir: join(outDir, 'dreambooth'), runtime, ctx: o.ctx }));
      console.error(`trained ${v.name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    const rows = [];
    for (const v of variants) {
      const t0 = Date.now();
      const r = await measureVariant(v, o);
      console.error(`${v.name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      rows.push({ name: v.name, ...r });
    }
    const table = qualityTable(rows);
    console.log(table);
    await writeFile(join(outDir, 'results.json'), JSON.stringify({ model, options: { count: o.count, steps: o.steps, guidance: o.guidance, seed: o.seed }, rows: rows.map(({ name, row }) => ({ name, row })) }, null, 2) + '\n');
    await writeGrid(join(outDir, 'grid.png'), rows.map((r) => r.images.flatMap((files) => files.slice(0, 1))));
    console.error(`wrote ${join(outDir, 'results.json')} and grid.png (rows: ${rows.map((r) => r.name).join(', ')})`);
  } finally {
    await recogniser.close();
    await runtime.close();
  }
}

function trainingVariants(names: string | undefined, steps: string | undefined): DreamBoothVariant[] {
  if (!names) {
    if (steps) throw new UsageError(`--train-steps needs --train\n\n${HELP}`);
    return [];
  }
  const picked = names === 'all' ? [...DREAMBOOTH_VARIANTS] : names.split(',').map((n) => {
    const v = DREAMBOOTH_VARIANTS.find((d) => d.name === n.trim());
    if (!v) throw new UsageError(`--train: no variant "${n}"; there are ${DREAMBOOTH_VARIANTS.map((d) => d.name).join(', ')} (or all)`);
    return v;
  });
  const n = steps === undefined ? undefined : numberFlag(steps, 'train-steps', 1, { integer: true, min: 1 });
  return picked.map((v) => (n ? { ...v, steps: n } : v));
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof UsageError ? e.message : e instanceof Error ? `quality: ${e.message}` : e);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
