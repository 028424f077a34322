// `dreambooth cache [info|clean]`: where the staged-model cache is, what it holds, and emptying it.
// (Downloaded models live in the Hugging Face cache, which this never touches.)
import { formatGiB } from '../runtime/memory';
import { cacheMaxBytes, cleanCache, listEntries, stagedModelsDir } from '../runtime/cache';
import { UsageError } from './usage';

const HELP = `usage: dreambooth cache [info|clean]

The cache holds the ONNX models built from your checkpoints (hard links to the weight files,
so they take almost no space, plus any merged-LoRA weights). It is rebuilt as needed.
  info    the folder, its entries and their size (default)
  clean   delete every entry (your model files are not touched)
Folder: $DREAMBOOTH_CACHE/onnx, else the user cache folder (~/.cache/dreambooth/onnx on Linux).
Size cap: DREAMBOOTH_CACHE_MAX (default 4G); least recently used entries go first.
`;

export async function main(args: string[]): Promise<number> {
  const [what = 'info', ...rest] = args;
  if (what === '--help' || what === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (rest.length || !['info', 'clean'].includes(what)) throw new UsageError(`unexpected arguments "${args.join(' ')}"\n\n${HELP}`);
  const dir = stagedModelsDir();
  if (what === 'clean') {
    const r = await cleanCache(dir);
    process.stdout.write(`removed ${r.entries} entr${r.entries === 1 ? 'y' : 'ies'} (${formatGiB(r.bytes)}) from ${dir}\n`);
    return 0;
  }
  const entries = await listEntries(dir);
  const bytes = entries.reduce((n, e) => n + e.ownBytes, 0);
  process.stdout.write(`${dir}\n${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, ${formatGiB(bytes)} of ${formatGiB(cacheMaxBytes())} allowed\n`);
  return 0;
}
