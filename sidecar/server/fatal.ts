// The sidecar reports its own death: an uncaught exception or unhandled rejection is written to
// stderr (synchronous for pipes on Linux and macOS, so it survives process.exit) with its stack, and
// the extension shows stderr in its output channel and in the error it raises.
import { format } from 'node:util';

export const FATAL_EXIT_CODE = 70;

export function installFatalHandlers(onFatal: () => void = () => {}): void {
  const die = (kind: string, e: unknown) => {
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`dreambooth sidecar: fatal ${kind}: ${text}\n`);
    try {
      onFatal();
    } finally {
      process.exit(FATAL_EXIT_CODE);
    }
  };
  process.on('uncaughtException', (e) => die('exception', e));
  process.on('unhandledRejection', (e) => die('unhandled rejection', e));
}

/** stdout carries JSON-RPC: any stray console.log from a job would corrupt it, so send it to stderr. */
export function keepStdoutForRpc(): void {
  const toStderr = (...args: unknown[]) => void process.stderr.write(`${format(...args)}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}
