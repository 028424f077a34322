// A training process killed with SIGKILL at any moment — mid-step, mid-save — leaves a state that
// --resume continues from: the resume state is one file replaced by one rename, so a kill leaves the
// previous state or the new one, never a mix. Real processes (the CLI), real kills.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { copyExample } from '../helpers/example-project';
import { readTrainLog } from '../../sidecar/training/log';
import { readSafetensorsIndex } from '../../sidecar/weights/safetensors';

const root = mkdtempSync(join(tmpdir(), 'dreambooth-kill-'));
after(() => rm(root, { recursive: true, force: true }));
const cli = (args: string[]) => [process.execPath, ['--import', 'tsx', 'sidecar/cli/main.ts', ...args]] as const;
const env = { ...process.env, DREAMBOOTH_CACHE: join(root, 'cache') };

/** Starts `dreambooth train`, kills it with SIGKILL `ms` after its resume state first appears. */
async function trainAndKill(file: string, resumeFile: string, ms: number): Promise<void> {
  const [cmd, args] = cli(['train', file, '--steps', '40', '--resume']);
  const child = spawn(cmd, args, { env, stdio: 'ignore', detached: true });
  const started = Date.now();
  while (!existsSync(resumeFile) && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, ms));
  process.kill(-child.pid!, 'SIGKILL'); // the CLI and the child it relaunches itself in
  await new Promise((r) => child.once('exit', r));
}

test('kill -9 during training, at several moments: --resume continues each time and the run completes', async () => {
  const { file, dir } = await copyExample(root, 'k', { saveEvery: 1 });
  const resumeFile = join(dir, 'runs', 'checkpoints', 'zwx.resume.safetensors');
  for (const ms of [0, 37, 180]) await trainAndKill(file, resumeFile, ms);
  const saved = Number((await readSafetensorsIndex(resumeFile)).metadata.dreambooth_step);
  assert.ok(saved >= 1, `a state survived (step ${saved})`);
  const [cmd, args] = cli(['train', file, '--steps', String(saved + 2), '--resume']);
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`resuming from step ${saved}`));
  assert.equal((await readSafetensorsIndex(resumeFile)).metadata.dreambooth_step, String(saved + 2));
  const log = readTrainLog(join(dir, 'runs', 'logs', 'train.jsonl'));
  assert.deepEqual(log.map((x) => x.step), Array.from({ length: saved + 2 }, (_, i) => i + 1), 'one log line per step, none twice');
  assert.ok(existsSync(join(dir, 'runs', 'exports', 'zwx.safetensors')));
});
