// When the editor closes or restarts the sidecar (its stdin closes), a training job saves its checkpoint
// before the process exits, so the run continues with --resume.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { Initialize, JobProgress, StartJob } from '../../protocol/sidecar';
import { copyExample } from '../helpers/example-project';
import { readSafetensorsIndex } from '../../sidecar/weights/safetensors';

const root = mkdtempSync(join(tmpdir(), 'sidecar-shutdown-'));
after(() => rm(root, { recursive: true, force: true }));

test('closing the sidecar\'s stdin mid-training saves a checkpoint, then the process exits 0', async () => {
  const { file, dir } = await copyExample(root, 's', { saveEvery: 0 });
  const child = spawn(process.execPath, ['--import', 'tsx', 'sidecar/main.ts'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DREAMBOOTH_CACHE: join(root, 'cache') } });
  const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const trained = new Promise<number>((resolve) =>
    conn.onNotification(JobProgress, (p) => {
      if (p.phase === 'training' && p.loss !== undefined) resolve(p.step);
    }),
  );
  conn.listen();
  await conn.sendRequest(Initialize, { providers: ['cpu'] });
  await conn.sendRequest(StartJob, { kind: 'train', params: { conceptFile: file, resume: false } });
  const step = await trained;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  conn.dispose();
  child.stdin.end(); // what the extension does when it goes away
  assert.equal(await exited, 0);
  const saved = await readSafetensorsIndex(join(dir, 'runs', 'checkpoints', 'zwx.resume.safetensors')).catch((e: Error) => assert.fail(`${e.message}; sidecar said: ${stderr}`));
  assert.ok(Number(saved.metadata.dreambooth_step) >= step, `saved at step ${saved.metadata.dreambooth_step} (progress had reached ${step})`);
});
