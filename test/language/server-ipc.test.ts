// The transport the extension uses: the server forked with --node-ipc (vscode-languageclient's
// TransportKind.ipc). Initialize, open a document, receive its diagnostics.
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, NotificationType } from 'vscode-jsonrpc/node';
import type { InitializeResult, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

const main = join(resolve(__dirname, '..', '..'), 'language', 'server', 'main.ts');

test('over node IPC: capabilities, then diagnostics for an opened document', async () => {
  const child = fork(main, ['--node-ipc'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  try {
    const published = new Promise<PublishDiagnosticsParams>((resolve) => conn.onNotification(new NotificationType<PublishDiagnosticsParams>('textDocument/publishDiagnostics'), resolve));
    conn.listen();
    const init = await conn.sendRequest<InitializeResult>('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    assert.equal(init.serverInfo?.name, 'dreambooth-language-server');
    assert.ok(init.capabilities.codeLensProvider && init.capabilities.hoverProvider && init.capabilities.foldingRangeProvider && init.capabilities.documentSymbolProvider);
    assert.equal(init.capabilities.codeActionProvider, undefined, 'no code actions for a client without code action literals');
    await conn.sendNotification('initialized', {});
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: 'untitled:a', languageId: 'dreambooth', version: 1, text: 'trian {\n}\n' } });
    const p = await published;
    assert.deepEqual(
      p.diagnostics.map((d) => [d.code, d.message]),
      [['syntax', 'unknown block "trian"; did you mean train?']],
    );
  } finally {
    conn.dispose();
    child.kill();
  }
});
