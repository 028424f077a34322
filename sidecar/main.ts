// The sidecar process: a JSON-RPC server over stdio that the extension spawns (with VS Code's own
// Node, ELECTRON_RUN_AS_NODE=1). When the extension goes away (stdin closes) it cancels its jobs and
// exits.
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { version } from '../package.json';
import { installFatalHandlers, keepStdoutForRpc } from './server/fatal';
import { serve } from './server/serve';

keepStdoutForRpc();
installFatalHandlers();

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
const jobs = serve(connection, version);
connection.onClose(() => {
  jobs.cancelAll();
  process.exit(0);
});
connection.listen();
process.stderr.write(`dreambooth sidecar ${version} listening on stdio (pid ${process.pid})\n`);
