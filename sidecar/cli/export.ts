// `dreambooth export FILE.dreambooth [--format lora|checkpoint|diffusers] [--half] [--out PATH] [--force]`:
// a run's trained weights on its base model, as a file AUTOMATIC1111, ComfyUI or diffusers loads.
// Progress on stderr; the written path on stdout.
import { resolve } from 'node:path';
import { EXPORT_FORMATS, type ExportFormat } from '../../protocol/vocabulary';
import { exportRun } from '../jobs/export';
import { oneConceptFile, parseArgs, printedHelp } from './args';
import { runInTerminal } from './terminal';
import { UsageError } from './usage';

const HELP = `usage: dreambooth export FILE.dreambooth [--format FORMAT] [--half] [--out PATH] [--force]

Exports the run's trained weights (OUTPUT/exports/NAME.safetensors, or the last checkpoint of an
unfinished run) together with the concept file's base model:
  lora        the LoRA in kohya's format (UNet and text encoder modules), for AUTOMATIC1111/ComfyUI's
              LoRA folder or generate --lora; needs a run trained with method lora
  checkpoint  one .safetensors with the LoRA merged into the model, in the original single-file layout
              (model.diffusion_model.*, first_stage_model.*, cond_stage_model.*): AUTOMATIC1111's and
              ComfyUI's checkpoint folders
  diffusers   a diffusers pipeline folder (StableDiffusionPipeline.from_pretrained)

  --format FORMAT  ${EXPORT_FORMATS.join(' | ')} (default: lora)
  --half           write float16 (half the size)
  --out PATH       the file (or folder, for diffusers) to write; default OUTPUT/exports/NAME-FORMAT[-fp16]
  --force          replace PATH if it exists (otherwise an existing PATH is refused)

The export is written beside PATH under a temporary name and renamed when complete: an interrupted
or failed export leaves nothing behind.
`;

const SPEC = { values: ['format', 'out'], switches: ['half', 'force'], help: HELP } as const;

export async function main(args: string[]): Promise<number> {
  if (printedHelp(args, HELP)) return 0;
  const { flags, on, positional } = parseArgs(args, SPEC);
  const conceptFile = resolve(oneConceptFile(positional, HELP));
  const format = (flags.format ?? 'lora') as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${flags.format}"`);
  const out = await runInTerminal({
    run: (ctx) => exportRun({ conceptFile, format, half: on.has('half'), out: flags.out, force: on.has('force') }, ctx),
    onInterrupt: 'stopping (nothing is left behind)…',
    onCancelled: 'cancelled',
  });
  if (out === 130) return out;
  process.stdout.write(out.files.map((p) => `${p}\n`).join(''));
  return 0;
}
