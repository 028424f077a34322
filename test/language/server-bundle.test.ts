// The bundled server (dist/language-server.js, built by `npm run build`) finds the bundled CLIP
// vocabulary from dist/ and answers over stdio. Skipped when the bundle has not been built.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { createMessageConnection, NotificationType, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

const bundle = join(resolve(__dirname, '..', '..'), 'dist', 'language-server.js');

test('dist/language-server.js publishes identifier diagnostics for an unsaved document', { skip: !existsSync(bundle) && 'not built (npm run build)' }, async () => {
  const server = spawn(process.execPath, [bundle, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  try {
    const published = new Promise<PublishDiagnosticsParams>((resolve) => conn.onNotification(new NotificationType<PublishDiagnosticsParams>('textDocument/publishDiagnostics'), resolve));
    conn.listen();
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    await conn.sendNotification('initialized', {});
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: 'untitled:Untitled-1', languageId: 'dreambooth', version: 1, text: 'concept dog {\n  instance_prompt "photo of dog"\n  instance_images "./x"\n}\n' } });
    const p = await published;
    assert.deepEqual(
      p.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character]),
      [['common-identifier', 0, 8]],
    );
    await conn.sendRequest('shutdown');
    await conn.sendNotification('exit');
  } finally {
    conn.dispose();
    server.kill();
  }
});
