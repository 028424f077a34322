// The training log as the dashboard reads it while it grows: records only for complete lines, a
// partial last line kept until its newline, a line that is not a record skipped; a replaced or
// trimmed log read again from its start; sample images grouped by step.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { appendFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TrainStepRecord } from '../../protocol/sidecar';
import { TrainLogReader } from '../../protocol/training-run';
import { listSamples, LogTail } from '../../extension/runFiles';

const root = mkdtempSync(join(tmpdir(), 'dreambooth-train-log-'));
after(() => rm(root, { recursive: true, force: true }));

const rec = (step: number, loss = 0.1 * step): TrainStepRecord => ({ step, loss, instanceLoss: loss, priorLoss: 0, lr: 1e-4, gradNorm: 0.5, stepSeconds: 1.5, peakRssMiB: 900, time: '2026-11-29T10:00:00.000Z' });
const line = (r: TrainStepRecord) => `${JSON.stringify(r)}\n`;

test('the reader returns complete lines only and keeps a partial last line for the next push', () => {
  const r = new TrainLogReader();
  const two = line(rec(2));
  assert.deepEqual(r.push(line(rec(1)) + two.slice(0, 20)), [rec(1)]);
  assert.deepEqual(r.push(''), []);
  assert.deepEqual(r.push(two.slice(20, 40)), []);
  assert.deepEqual(r.push(two.slice(40) + line(rec(3))), [rec(2), rec(3)]);
});

test('lines that are not records are skipped; a whole file keeps a complete last line without newline and drops a torn one', () => {
  const r = new TrainLogReader();
  assert.deepEqual(r.push(`not json\n{"step":"x"}\n\n{"note":1}\n${line(rec(4))}`), [rec(4)]);
  assert.deepEqual(TrainLogReader.parse(line(rec(1)) + JSON.stringify(rec(2))), [rec(1), rec(2)]);
  assert.deepEqual(TrainLogReader.parse(line(rec(1)) + JSON.stringify(rec(2)).slice(0, 30)), [rec(1)]);
});

test('a tail reads what was appended since the last read, waits for a partial line, and starts over when the log is replaced or gone', async () => {
  const dir = join(root, 'logs');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'train.jsonl');
  const tail = new LogTail(file);
  assert.deepEqual(await tail.read(), { reset: false, records: [] }, 'no log yet');
  await writeFile(file, line(rec(1)));
  assert.deepEqual(await tail.read(), { reset: false, records: [rec(1)] });
  const two = line(rec(2));
  await appendFile(file, two.slice(0, 25));
  assert.deepEqual(await tail.read(), { reset: false, records: [] });
  await appendFile(file, two.slice(25) + line(rec(3)));
  assert.deepEqual(await tail.read(), { reset: false, records: [rec(2), rec(3)] });
  assert.deepEqual(await tail.read(), { reset: false, records: [] });
  // A resume trims the log (written to a temporary file, renamed over it): shorter and a new file.
  await writeFile(`${file}.tmp`, line(rec(1)));
  await rename(`${file}.tmp`, file);
  assert.deepEqual(await tail.read(), { reset: true, records: [rec(1)] });
  // A fresh run after the old one was moved aside: a new file as long as the old one or longer.
  await rename(file, join(root, 'old.jsonl'));
  assert.deepEqual(await tail.read(), { reset: true, records: [] });
  await writeFile(file, line(rec(1, 0.9)) + line(rec(2, 0.8)));
  assert.deepEqual(await tail.read(), { reset: false, records: [rec(1, 0.9), rec(2, 0.8)] });
});

test('sample images are listed by step, ascending, with loose older images first; other files are ignored', async () => {
  const samples = join(root, 'samples');
  for (const d of ['step-000010', 'step-000002', 'step-000003', 'other']) await mkdir(join(samples, d), { recursive: true });
  for (const f of ['step-000010/00000-42.png', 'step-000002/00001-42.png', 'step-000002/00000-42.png', 'other/x.png', '00007-42.png', 'notes.txt', 'step-000003/readme.md']) await writeFile(join(samples, f), '');
  assert.deepEqual(await listSamples(samples), [
    { step: null, files: [join(samples, '00007-42.png')] },
    { step: 2, files: [join(samples, 'step-000002/00000-42.png'), join(samples, 'step-000002/00001-42.png')] },
    { step: 10, files: [join(samples, 'step-000010/00000-42.png')] },
  ]);
  assert.deepEqual(await listSamples(join(root, 'missing')), []);
});
