// npm run world -- images  --out DIR [--count N] [--seed S] [--size PX]   world images + captions.jsonl
// npm run world -- subject --out DIR [--count N] [--seed S] [--size PX]   the DreamBooth subject's instance images
import { resolve } from 'node:path';
import { numberFlag, parseArgs } from '../sidecar/cli/args';
import { UsageError } from '../sidecar/cli/usage';
import { CAPTIONS_FILE, writeSubject, writeWorld } from './generator/dataset';

const HELP = `usage: npm run world -- images|subject --out DIR [--count N] [--seed S] [--size PX]

  images    N captioned world images (NNNNN.png) and ${CAPTIONS_FILE} ({ file, caption, scene } per line)
  subject   N instance images of the DreamBooth subject (a striped crescent with a dot), default 6
  --seed    0..2047 (default 0); the same seed gives the same images
  --size    image side in pixels (default 64)`;

async function main(argv: string[]): Promise<void> {
  const a = parseArgs(argv, { values: ['out', 'count', 'seed', 'size'] as const, switches: ['help'] as const, help: HELP });
  if (a.on.has('help')) return void console.log(HELP);
  const [what, ...extra] = a.positional;
  if (what !== 'images' && what !== 'subject') throw new UsageError(`say what to write: images or subject\n\n${HELP}`);
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"\n\n${HELP}`);
  if (!a.flags.out) throw new UsageError(`--out DIR is required\n\n${HELP}`);
  const out = resolve(a.flags.out);
  const count = numberFlag(a.flags.count, 'count', what === 'images' ? 1000 : 6, { integer: true, min: 1 });
  const seed = numberFlag(a.flags.seed, 'seed', 0, { integer: true, min: 0 });
  const size = numberFlag(a.flags.size, 'size', 64, { integer: true, min: 8 });
  const t0 = Date.now();
  if (what === 'subject') {
    const files = await writeSubject(out, { count, seed, size });
    console.log(`${files.length} subject images in ${out}`);
  } else {
    await writeWorld(out, { count, seed, size, onItem: (i) => (i + 1) % 1000 === 0 && console.log(`${i + 1}/${count}`) });
    console.log(`${count} images and ${CAPTIONS_FILE} in ${out} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof UsageError ? e.message : e instanceof Error ? `world: ${e.message}` : e);
  process.exitCode = e instanceof UsageError ? 2 : 1;
});
