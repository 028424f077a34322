// The language client for .dreambooth files; the server (dist/language-server.js) runs in its own
// Node process over IPC. Its code lenses call dreambooth.train / .generate / .prepareImages.
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

export async function startLanguageClient(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): Promise<LanguageClient> {
  const module = context.asAbsolutePath('dist/language-server.js');
  const server: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6010'] } },
  };
  const client: LanguageClientOptions = {
    documentSelector: [{ language: 'dreambooth' }],
    outputChannel: log,
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.dreambooth') },
  };
  const lc = new LanguageClient('dreambooth', 'DreamBooth Language Server', server, client);
  await lc.start();
  return lc;
}
