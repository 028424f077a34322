// The sidecar reports its own death: message and stack on stderr, a distinct exit code; and stray
// console.log output never reaches stdout (the JSON-RPC channel).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { FATAL_EXIT_CODE } from '../../sidecar/server/fatal';

const scratch = mkdtempSync(join(tmpdir(), 'sidecar-fatal-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

/** Runs a small script that installs the handlers the way sidecar/main.ts does, then misbehaves. */
function runScript(body: string) {
  const fatal = JSON.stringify(resolve('sidecar/server/fatal.ts'));
  const file = join(scratch, `script-${n++}.ts`);
  writeFileSync(file, `import { installFatalHandlers, keepStdoutForRpc } from ${fatal};\nkeepStdoutForRpc();\ninstallFatalHandlers();\n${body}\n`);
  return spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8' });
}

test('an uncaught exception is reported with its stack and exit code 70', () => {
  const r = runScript(`function deepInAJob() { throw new Error('boom from a job'); }\nsetTimeout(deepInAJob, 1);`);
  assert.equal(r.status, FATAL_EXIT_CODE);
  assert.match(r.stderr, /dreambooth sidecar: fatal exception: Error: boom from a job/);
  assert.match(r.stderr, /at .*deepInAJob .*script-\d+\.ts:\d+/);
  assert.equal(r.stdout, '');
});

test('an unhandled rejection is reported too', () => {
  const r = runScript(`Promise.reject(new Error('lost promise'));`);
  assert.equal(r.status, FATAL_EXIT_CODE);
  assert.match(r.stderr, /fatal unhandled rejection: Error: lost promise/);
});

test('console.log goes to stderr, keeping stdout for JSON-RPC', () => {
  const r = runScript(`console.log('chatty %d', 42); console.info('info');`);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /chatty 42\ninfo\n/);
});
