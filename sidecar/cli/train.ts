// `dreambooth train FILE.dreambooth [--steps N] [--resume] [--provider NAME]`: DreamBooth LoRA
// training from a concept file. Progress on stderr; the written files on stdout; Ctrl-C saves a
// checkpoint and stops (continue with --resume).
import { resolve } from 'node:path';
import { PROVIDERS, type ProviderName } from '../../protocol/vocabulary';
import { JobCancelled, type JobContext } from '../jobs/context';
import { train, type TrainExtras } from '../jobs/train';
import { UsageError } from './usage';

const HELP = `usage: dreambooth train FILE.dreambooth [--steps N] [--resume] [--provider NAME]

Trains a LoRA of the concept file's model on its concepts (train block) and writes
  OUTPUT/exports/NAME.safetensors           the LoRA (kohya format: generate --lora, AUTOMATIC1111, ComfyUI)
  OUTPUT/checkpoints/                       every save_every steps, and the state --resume continues from
  OUTPUT/samples/                           sample images of sample_prompt

  --steps N        train to step N instead of the file's train.steps
  --resume         continue from OUTPUT/checkpoints/last.safetensors
  --provider NAME  ${PROVIDERS.join(' | ')} (default: the best available)
`;

function terminalContext(): { ctx: JobContext; dispose: () => void } {
  const abort = new AbortController();
  const onSigint = () => {
    process.stderr.write('\nsaving a checkpoint and stopping after this step…\n');
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  const eta = (s?: number) => (s === undefined ? '' : s >= 60 ? `, ${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s left` : `, ${s}s left`);
  const ctx: JobContext = {
    signal: abort.signal,
    log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
    progress: (p) => {
      if (p.phase === 'training' && p.loss !== undefined) process.stderr.write(`step ${p.step}/${p.total}  loss ${p.loss.toFixed(4)}${eta(p.etaSeconds)}\n`);
      else process.stderr.write(`${p.phase}${p.message ? `: ${p.message}` : ''}\n`);
    },
  };
  return { ctx, dispose: () => process.removeListener('SIGINT', onSigint) };
}

export async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const files: string[] = [];
  const extras: TrainExtras = {};
  let resume = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--resume') resume = true;
    else if (a === '--steps') {
      const n = Number(args[++i]);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--steps needs a positive integer, got "${args[i] ?? ''}"`);
      extras.steps = n;
    } else if (a === '--provider') {
      const p = args[++i] as ProviderName;
      if (!PROVIDERS.includes(p)) throw new UsageError(`--provider must be one of ${PROVIDERS.join(', ')}`);
      extras.providers = [p];
    } else if (a.startsWith('--')) throw new UsageError(`unknown option "${a}"\n\n${HELP}`);
    else files.push(a);
  }
  if (files.length !== 1) throw new UsageError(`give exactly one concept file\n\n${HELP}`);
  const { ctx, dispose } = terminalContext();
  try {
    const out = await train({ conceptFile: resolve(files[0]!), resume }, ctx, extras);
    process.stdout.write([...out.files, ...out.images].map((p) => `${p}\n`).join(''));
    return 0;
  } catch (e) {
    if (e instanceof JobCancelled) {
      process.stderr.write('cancelled (checkpoint saved; continue with --resume)\n');
      return 130;
    }
    throw e;
  } finally {
    dispose();
  }
}
