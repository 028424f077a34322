// How a run begins in its folder: a fresh start moves a previous run aside (nothing deleted), a resume
// with changed settings is refused naming each change, and the settings are recorded for the next one.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startRun } from '../../sidecar/training/run-start';

const root = mkdtempSync(join(tmpdir(), 'dreambooth-run-start-'));
after(() => rm(root, { recursive: true, force: true }));

const settings = { model: '/m', learning_rate: 1e-4, lora_rank: 4, 'zwx.class_prompt': null };
const FILE = '/proj/zwx.dreambooth'; // its settings are checkpoints/zwx.settings.json

test('a fresh start in an empty folder records the settings and moves nothing', async () => {
  const out = join(root, 'empty');
  assert.deepEqual(await startRun(out, FILE, settings, false), { movedTo: undefined });
  assert.deepEqual(JSON.parse(await readFile(join(out, 'checkpoints', 'zwx.settings.json'), 'utf8')), settings);
});

test('a fresh start moves the previous run to previous/<time>/ and keeps class images in place', async () => {
  const out = join(root, 'again');
  for (const d of ['checkpoints', 'logs', 'samples/step-000002', 'class/zwx']) await mkdir(join(out, d), { recursive: true });
  await writeFile(join(out, 'logs', 'train.jsonl'), '{"step":1,"loss":0.5}\n');
  await writeFile(join(out, 'checkpoints', 'last.safetensors'), 'old');
  await writeFile(join(out, 'class', 'zwx', '0.png'), 'cls');
  const { movedTo } = await startRun(out, FILE, settings, false);
  assert.ok(movedTo?.startsWith(join(out, 'previous')), String(movedTo));
  assert.equal(await readFile(join(movedTo!, 'logs', 'train.jsonl'), 'utf8'), '{"step":1,"loss":0.5}\n');
  assert.equal(await readFile(join(movedTo!, 'checkpoints', 'last.safetensors'), 'utf8'), 'old');
  assert.deepEqual(await readdir(join(movedTo!, 'samples')), ['step-000002']);
  assert.deepEqual((await readdir(out)).sort(), ['checkpoints', 'class', 'previous']);
  assert.deepEqual(await readdir(join(out, 'checkpoints')), ['zwx.settings.json']);
  assert.equal(await readFile(join(out, 'class', 'zwx', '0.png'), 'utf8'), 'cls');
});

test('a resume with the same settings goes on; with changed ones it is refused, naming each change', async () => {
  const out = join(root, 'resume');
  await startRun(out, FILE, settings, false);
  await writeFile(join(out, 'checkpoints', 'last.safetensors'), 'ckpt');
  assert.deepEqual(await startRun(out, FILE, settings, true), {});
  await assert.rejects(startRun(out, FILE, { ...settings, learning_rate: 2e-4, lora_rank: 8 }, true), (e: Error) => {
    assert.match(e.message, /trained with other settings \(learning_rate 0\.0001 → 0\.0002; lora_rank 4 → 8\)/);
    assert.match(e.message, /train from scratch/);
    return true;
  });
  assert.equal(await readFile(join(out, 'checkpoints', 'last.safetensors'), 'utf8'), 'ckpt', 'a refusal touches nothing');
  assert.equal(JSON.parse(await readFile(join(out, 'checkpoints', 'zwx.settings.json'), 'utf8')).learning_rate, 1e-4);
});

test('a checkpoint from before settings were recorded resumes, flagged as unrecorded', async () => {
  const out = join(root, 'old');
  await mkdir(join(out, 'checkpoints'), { recursive: true });
  assert.deepEqual(await startRun(out, FILE, settings, true), { unrecorded: true });
});
