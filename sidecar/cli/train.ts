// `dreambooth train FILE.dreambooth [--steps N] [--resume] [--provider NAME]`: DreamBooth training
// (LoRA or full, optionally with the text encoder) from a concept file. Progress on stderr; the written files on stdout; Ctrl-C saves a
// checkpoint and stops (continue with --resume).
import { resolve } from 'node:path';
import { PROVIDERS } from '../../protocol/vocabulary';
import { train, type TrainExtras } from '../jobs/train';
import { numberFlag, oneConceptFile, parseArgs, printedHelp, providerFlag } from './args';
import { runInTerminal } from './terminal';

const HELP = `usage: dreambooth train FILE.dreambooth [--steps N] [--resume] [--provider NAME]

Trains the concept file's model on its concepts (train block: method lora or full) and writes
  OUTPUT/exports/NAME.safetensors           the LoRA (kohya format: generate --lora, AUTOMATIC1111, ComfyUI)
  OUTPUT/exports/NAME-checkpoint.safetensors   with method full: the merged single-file checkpoint
  OUTPUT/checkpoints/                       the weights every save_every steps, and FILE.resume.safetensors
                                            (the state --resume continues from: one file, replaced atomically)
  OUTPUT/samples/                           sample images of sample_prompt
  OUTPUT/logs/train.jsonl                   one line per step: losses, learning rate, grad norm, time, memory

Before building anything it estimates the memory a step needs and stops with what would fit if
the machine has less free (DREAMBOOTH_MEMORY_LIMIT=6G sets the budget by hand). One run per
OUTPUT folder at a time. Without --resume a previous run in OUTPUT (checkpoints, samples, logs,
exports) is moved to OUTPUT/previous/<time>/, never deleted.

  --steps N        train to step N instead of the file's train.steps
  --resume         continue from OUTPUT/checkpoints/FILE.resume.safetensors (only with the settings
                   it was trained with; steps, learning rate and schedule may change); without it a
                   previous run is moved to OUTPUT/previous/<time>/
  --provider NAME  ${PROVIDERS.join(' | ')} (default: the best available)
`;

const SPEC = { values: ['steps', 'provider'], switches: ['resume'], help: HELP } as const;

export async function main(args: string[]): Promise<number> {
  if (printedHelp(args, HELP)) return 0;
  const { flags, on, positional } = parseArgs(args, SPEC);
  const conceptFile = resolve(oneConceptFile(positional, HELP));
  const extras: TrainExtras = { providers: providerFlag(flags.provider) };
  if (flags.steps !== undefined) extras.steps = numberFlag(flags.steps, 'steps', 0, { integer: true, min: 1 });
  const out = await runInTerminal({
    run: (ctx) => train({ conceptFile, resume: on.has('resume') }, ctx, extras),
    onInterrupt: 'saving a checkpoint and stopping after this step…',
    onCancelled: 'cancelled (checkpoint saved; continue with --resume)',
  });
  if (out === 130) return out;
  process.stdout.write([...out.files, ...out.images].map((p) => `${p}\n`).join(''));
  return 0;
}
