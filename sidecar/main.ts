// The sidecar process: a JSON-RPC server over stdio that the extension spawns (with VS Code's own
// Node, ELECTRON_RUN_AS_NODE=1). When the extension goes away (stdin closes, or SIGTERM) it cancels its
// jobs, lets them end — a training run saves its checkpoint first — and exits.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { version } from '../package.json';
import { installFatalHandlers, keepStdoutForRpc } from './server/fatal';
import { serve } from './server/serve';
import { SIDECAR_SHUTDOWN_GRACE_MS } from '../protocol/sidecar';

keepStdoutForRpc();
installFatalHandlers();

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
const jobs = serve(connection, version);
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  jobs.cancelAll();
  const grace = new Promise<void>((resolve) => setTimeout(resolve, SIDECAR_SHUTDOWN_GRACE_MS).unref());
  await Promise.race([jobs.idle(), grace]);
  process.exit(0);
}
connection.onClose(() => void stop());
process.on('SIGTERM', () => void stop());
connection.listen();
process.stderr.write(`dreambooth sidecar ${version} listening on stdio (pid ${process.pid})\n`);
