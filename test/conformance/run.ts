// `npm run conformance -- DIR [--strict] [--only NAME,...]`: runs every case of DIR/index.json (a
// reference-fixture folder such as fixtures/tiny-sd) against the model in DIR and prints one line per
// case: pass, fail or skip, with the worst max-abs error and its tolerance (see conformance/compare.ts
// for how tolerances are chosen). Exits 1 on any fail, or on any skip with --strict.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openRuntime } from '../../sidecar/runtime/runtime';
import { SdModel } from '../../sidecar/pipeline/sd-model';
import { CaseContext, type CaseHandler, type FixtureIndex, parsePythonJson } from './cases/context';
import { type CaseResult, worst } from './cases/compare';
import { textEncoder, unet, vaeDecode, vaeEncode } from './cases/networks';
import { tokenizer } from './cases/tokenizer';
import { addNoise, scheduler, vPrediction } from './cases/schedulers';
import { pipeline } from './cases/pipeline';
import { loraTrain } from './cases/lora';

const HANDLERS: Record<string, CaseHandler> = {
  tokenizer,
  text_encoder: textEncoder,
  unet,
  v_prediction: vPrediction,
  vae_encode: vaeEncode,
  vae_decode: vaeDecode,
  scheduler,
  scheduler_add_noise: addNoise,
  pipeline,
  lora_train: loraTrain,
};

/** Cases whose feature does not exist yet: skipped with the reason (a fail under --strict). */
const NOT_YET: Record<string, string> = {};

function line(status: string, name: string, r: CaseResult): string {
  const head = `${status.padEnd(4)}  ${name.padEnd(26)}`;
  if (r.status === 'skip') return `${head}  ${r.reason}`;
  const w = worst(r.checks);
  const nums = w ? `max_err ${w.err.toExponential(2)}  tol ${w.tol.toExponential(2)}  (${w.what})` : '';
  return `${head}  ${nums}${r.note ? `  ${r.note}` : ''}`;
}

/** `write` receives the report (stdout by default; tests pass their own). */
export async function main(args: string[], write: (s: string) => void = (s) => void process.stdout.write(s)): Promise<number> {
  const strict = args.includes('--strict');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? '').split(',')) : undefined;
  const dir = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--only');
  if (!dir) {
    process.stderr.write('usage: conformance DIR [--strict] [--only CASE,...]\n');
    return 2;
  }
  const root = resolve(dir);
  const index = parsePythonJson(await readFile(join(root, 'index.json'), 'utf8')) as FixtureIndex;
  const runtime = await openRuntime({ providers: ['cpu'] });
  const modelDir = join(root, index.pipeline_dir ?? '.');
  const ctx = new CaseContext(root, index, (opts) => SdModel.open(modelDir, runtime, opts), runtime);
  const counts = { pass: 0, fail: 0, skip: 0 };
  try {
    for (const spec of index.cases) {
      if (only && !only.has(spec.name)) continue;
      let r: CaseResult;
      const handler = HANDLERS[spec.kind];
      if (NOT_YET[spec.kind]) r = { status: 'skip', reason: NOT_YET[spec.kind]! };
      else if (!handler) r = { status: 'skip', reason: `unknown case kind "${spec.kind}"` };
      else {
        try {
          r = await handler(spec, ctx);
        } catch (e) {
          r = { status: 'fail', checks: [], note: `error: ${(e as Error).message.split('\n').join(' | ')}` };
        }
      }
      counts[r.status]++;
      write(`${line(r.status, spec.name, r)}\n`);
    }
  } finally {
    await (await ctx.model().catch(() => undefined))?.close();
    await runtime.close();
  }
  write(`\n${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped\n`);
  return counts.fail > 0 || (strict && counts.skip > 0) ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      process.stderr.write(`conformance: ${(e as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
