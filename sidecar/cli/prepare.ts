// `dreambooth prepare FILE.dreambooth [--provider NAME]`: writes the images training will see (the
// instance photos cropped at the train resolution) and tops up the class images, so they can be
// checked before training. Progress on stderr; the prepared folders on stdout.
import { resolve } from 'node:path';
import { PROVIDERS } from '../../protocol/vocabulary';
import { prepare } from '../jobs/prepare';
import { oneConceptFile, parseArgs, printedHelp, providerFlag } from './args';
import { runInTerminal } from './terminal';

const HELP = `usage: dreambooth prepare FILE.dreambooth [--provider NAME]

Prepares each concept's images as training will use them and writes
  OUTPUT/prepared/CONCEPT/PHOTO.png   the instance photos, EXIF-rotated and cropped on the subject at train.resolution
  class images                        the class folder topped up to num_class_images (generated with the model)
Unreadable photos are skipped and named with the reason.

  --provider NAME  ${PROVIDERS.join(' | ')} (default: the best available; used only to generate class images)
`;

const SPEC = { values: ['provider'], switches: [], help: HELP } as const;

export async function main(args: string[]): Promise<number> {
  if (printedHelp(args, HELP)) return 0;
  const { flags, positional } = parseArgs(args, SPEC);
  const conceptFile = resolve(oneConceptFile(positional, HELP));
  const providers = providerFlag(flags.provider);
  const out = await runInTerminal({ run: (ctx) => prepare({ conceptFile }, ctx, { providers }), onInterrupt: 'stopping…', onCancelled: 'cancelled' });
  if (out === 130) return out;
  const generated = out.files.length - out.images.length;
  process.stderr.write(`prepared ${out.images.length} image(s)${generated > 0 ? `, generated ${generated} class image(s)` : ''}\n`);
  process.stdout.write(out.folders.map((f) => `${f}\n`).join(''));
  return 0;
}
