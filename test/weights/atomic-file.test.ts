// Atomic writes: the target appears only complete, a failed write leaves the old file and no temporary
// behind, and the temporary's name carries its writer's pid for the clean-up of dead runs.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { tempName, tempOwner, writeAtomic } from '../../sidecar/weights/atomic-file';

test('writeAtomic writes through a pid-named temporary beside the target, creating the folder', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  const target = join(dir, 'sub', 'report.json');
  let seen = '';
  await writeAtomic(target, async (tmp) => {
    seen = tmp;
    await writeFile(tmp, 'new');
    assert.deepEqual(readdirSync(join(dir, 'sub')), [basename(tmp)], 'only the temporary exists while writing');
  });
  assert.equal(readFileSync(target, 'utf8'), 'new');
  assert.equal(tempOwner(basename(seen)), process.pid);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['report.json']);
});

test('a failed write keeps the old file and removes its temporary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
  const target = join(dir, 'model.safetensors');
  writeFileSync(target, 'old');
  await assert.rejects(
    writeAtomic(target, async (tmp) => {
      await writeFile(tmp, 'half');
      throw new Error('disk full');
    }),
    /disk full/,
  );
  assert.equal(readFileSync(target, 'utf8'), 'old');
  assert.deepEqual(readdirSync(dir), ['model.safetensors']);
});

test('tempOwner reads only names tempName writes', () => {
  assert.equal(tempOwner(basename(tempName('/x/a.png'))), process.pid);
  for (const name of ['a.png', 'a.png.tmp', 'a.png.tmp-12-xyz', 'a.png.1234.tmp']) assert.equal(tempOwner(name), undefined, name);
});
