// `dreambooth <command> ...`: one table of commands, each in its own file, loaded on demand so that
// `check` starts fast and never loads ONNX Runtime.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { hasSidecarEnv, sidecarEnv } from '../../protocol/sidecar-env';
import { UsageError } from './usage';

interface Command {
  summary: string;
  run(args: string[]): Promise<number>;
}

const commands: Record<string, Command> = {
  check: { summary: 'check concept files and print diagnostics', run: async (a) => (await import('./check')).main(a) },
  generate: { summary: 'generate images from a model (flags or a concept file)', run: async (a) => (await import('./generate')).main(a) },
  prepare: { summary: 'write the prepared training images and top up class images, to check them before training', run: async (a) => (await import('./prepare')).main(a) },
  train: { summary: 'train from a concept file: LoRA or full fine-tuning (--steps N, --resume)', run: async (a) => (await import('./train')).main(a) },
  export: { summary: 'export a trained run as a LoRA, a merged checkpoint or a diffusers folder', run: async (a) => (await import('./export')).main(a) },
  cache: { summary: 'show or clean the cache of models built from your checkpoints', run: async (a) => (await import('./cache')).main(a) },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: dreambooth <command> [options]\n\ncommands:\n${rows.join('\n')}\n\nRun \`dreambooth <command> --help\` for a command's options.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`dreambooth: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`dreambooth ${name}: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`dreambooth ${name}: ${err.message}\n`);
    if (process.env.DREAMBOOTH_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

/** Commands that run models start again in a child with the allocator settings (protocol/sidecar-env.ts):
 *  glibc reads them only at process start. The parent forwards nothing but the exit status; Ctrl-C
 *  reaches the child directly (same process group), which saves and stops. */
function relaunched(argv: string[]): Promise<number> | undefined {
  if (hasSidecarEnv() || process.env.DREAMBOOTH_RELAUNCHED || !['generate', 'train', 'prepare', 'export'].includes(argv[0] ?? '')) return undefined;
  process.on('SIGINT', () => {}); // the child decides how to stop
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...sidecarEnv(process.env), DREAMBOOTH_RELAUNCHED: '1' } });
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)));
    child.once('error', () => resolve(70));
  });
}

(relaunched(process.argv.slice(2)) ?? main(process.argv.slice(2))).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`dreambooth: internal error: ${(e as Error).stack}\n`);
    process.exitCode = 70;
  },
);
