// `dreambooth prepare FILE.dreambooth [--provider NAME]`: writes the images training will see (the
// instance photos cropped at the train resolution) and tops up the class images, so they can be
// checked before training. Progress on stderr; the prepared folders on stdout.
import { resolve } from 'node:path';
import { PROVIDERS, type ProviderName } from '../../protocol/vocabulary';
import { JobCancelled, type JobContext } from '../jobs/context';
import { prepare } from '../jobs/prepare';
import { UsageError } from './usage';

const HELP = `usage: dreambooth prepare FILE.dreambooth [--provider NAME]

Prepares each concept's images as training will use them and writes
  OUTPUT/prepared/CONCEPT/PHOTO.png   the instance photos, EXIF-rotated and cropped on the subject at train.resolution
  class images                        the class folder topped up to num_class_images (generated with the model)
Unreadable photos are skipped and named with the reason.

  --provider NAME  ${PROVIDERS.join(' | ')} (default: the best available; used only to generate class images)
`;

function terminalContext(): { ctx: JobContext; dispose: () => void } {
  const abort = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nstopping…\n');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  const ctx: JobContext = {
    signal: abort.signal,
    log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
    progress: (p) => process.stderr.write(`${p.phase} ${p.step}/${p.total}${p.message ? `: ${p.message}` : ''}\n`),
  };
  return { ctx, dispose: () => process.removeListener('SIGINT', onSigint) };
}

export async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const files: string[] = [];
  let providers: ProviderName[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--provider') {
      const p = args[++i] as ProviderName;
      if (!PROVIDERS.includes(p)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
      providers = [p];
    } else if (a.startsWith('--')) throw new UsageError(`unknown option "${a}"\n\n${HELP}`);
    else files.push(a);
  }
  if (files.length !== 1) throw new UsageError(`give exactly one concept file\n\n${HELP}`);
  const { ctx, dispose } = terminalContext();
  try {
    const out = await prepare({ conceptFile: resolve(files[0]!) }, ctx, { providers });
    process.stderr.write(`prepared ${out.images.length} image(s)${out.files.length > out.images.length ? `, generated ${out.files.length - out.images.length} class image(s)` : ''}\n`);
    process.stdout.write(out.folders.map((f) => `${f}\n`).join(''));
    return 0;
  } catch (e) {
    if (e instanceof JobCancelled) {
      process.stderr.write('cancelled\n');
      return 130;
    }
    throw e;
  } finally {
    dispose();
  }
}
