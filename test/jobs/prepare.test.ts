// The prepare job on examples/zwx (copied to a temp folder, the bundled tiny model by absolute path):
// instance photos written as PNGs at the train resolution (EXIF rotation visible in the pixels), an
// unreadable photo reported by name and skipped, class images topped up to num_class_images, crops of
// removed photos cleared on a re-run, and cancellation that stops between images.
import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { PreparedReport } from '../../protocol/prepared';
import { JobCancelled } from '../../sidecar/context/job-context';
import { copyExample, recordingContext } from '../helpers/example-project';
import { prepare } from '../../sidecar/jobs/prepare';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { listImages } from '../../sidecar/training/images';

const cacheDir = join(tmpdir(), 'dreambooth-test-onnx');
const root = mkdtempSync(join(tmpdir(), 'dreambooth-prepare-'));
let runtime: Runtime;

before(async () => {
  runtime = await openRuntime({ providers: ['cpu'] });
});
after(async () => {
  await runtime.close();
  await rm(root, { recursive: true, force: true });
});

/** A w×h image whose left half is red and right half blue (RGB bytes). */
function halves(w: number, h: number): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b[(y * w + x) * 3 + (x < w / 2 ? 0 : 2)] = 255;
  return b;
}

/** The example project (see copyExample) plus one EXIF-rotated photo. */
async function project(name: string): Promise<{ file: string; dir: string }> {
  const { file, dir } = await copyExample(root, name);
  // Stored 96×96 (square: no crop to argue about), red left / blue right, orientation 6 (shown rotated
  // 90° clockwise): displayed red on top.
  await sharp(halves(96, 96), { raw: { width: 96, height: 96, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(join(dir, 'photos', 'rotated.jpg'));
  return { file, dir };
}

const recorder = (cancelAtStep?: number) => recordingContext((p) => cancelAtStep !== undefined && p.phase === 'preparing images' && p.step >= cancelAtStep);

test('prepare: PNGs at the train resolution, the broken photo reported and skipped, class images topped up', async () => {
  const { file, dir } = await project('a');
  const r = recorder();
  const out = await prepare({ conceptFile: file }, r.ctx, { runtime, cacheDir });
  const folder = join(dir, 'runs', 'prepared', 'zwx');

  const expected = ['01', '02', '03', '04', '05', '06', 'rotated'].map((n) => join(folder, `${n}.png`));
  assert.deepEqual(out.images, expected);
  assert.deepEqual((await readdir(folder)).sort(), expected.map((p) => p.slice(folder.length + 1)), 'no temp files or crops of the broken photo');
  for (const p of out.images) {
    const m = await sharp(p).metadata();
    assert.deepEqual([m.format, m.width, m.height, m.channels], ['png', 64, 64, 3], p);
  }
  assert.ok(r.logs.some((m) => m.includes(join(dir, 'photos', 'broken.jpg')) && /skipped/.test(m)), `the broken photo is reported: ${r.logs.join(' | ')}`);

  // EXIF applied: the rotated photo shows red over blue, not red beside blue.
  const { data } = await sharp(join(folder, 'rotated.png')).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number) => [...data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3)];
  for (const x of [2, 32, 61]) {
    const [top, bottom] = [px(x, 2), px(x, 61)];
    assert.ok(top[0]! > 200 && top[2]! < 60, `top row is red at x=${x}: ${top}`);
    assert.ok(bottom[2]! > 200 && bottom[0]! < 60, `bottom row is blue at x=${x}: ${bottom}`);
  }

  const classes = await listImages(join(dir, 'runs', 'class', 'zwx'));
  assert.equal(classes.length, 2, 'class folder topped up to num_class_images');
  assert.deepEqual(out.files.slice(out.images.length).sort(), classes);
  for (const p of classes) assert.deepEqual([(await sharp(p).metadata()).width, (await sharp(p).metadata()).height], [64, 64]);

  const last = r.events.filter((e) => e.phase === 'preparing images').at(-1)!;
  assert.deepEqual([last.step, last.total, last.images], [8, 8, expected], 'progress counts every file and lists the prepared images');
  assert.ok(r.events.some((e) => e.phase === 'class images'), 'class image generation reports progress');

  // Re-run after removing a photo: its crop goes, nothing is generated again.
  await rm(join(dir, 'photos', '02.jpg'));
  const again = await prepare({ conceptFile: file }, recorder().ctx, { runtime, cacheDir });
  assert.deepEqual(again.images, expected.filter((p) => !p.endsWith('02.png')));
  assert.deepEqual((await readdir(folder)).sort(), again.images.map((p) => p.slice(folder.length + 1)));
  assert.deepEqual(again.files, again.images, 'a full class folder is left alone');
});

test('prepare: report.json says per photo what training will see: crop, warnings (too small), skipped (unreadable), ignored files', async () => {
  const { file, dir } = await project('d');
  const photos = join(dir, 'photos');
  await sharp(halves(32, 32), { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(photos, 'small.png'));
  await writeFile(join(photos, 'notes.txt'), 'not a photo');
  await prepare({ conceptFile: file }, recorder().ctx, { runtime, cacheDir });
  const report = JSON.parse(await readFile(join(dir, 'runs', 'prepared', 'report.json'), 'utf8')) as PreparedReport;
  assert.equal(report.conceptFile, file);
  assert.equal(report.resolution, 64);
  const [zwx] = report.concepts;
  assert.equal(report.concepts.length, 1);
  assert.deepEqual([zwx!.name, zwx!.instanceImages, zwx!.classImages, zwx!.numClassImages], ['zwx', photos, join(dir, 'runs', 'class', 'zwx'), 2]);
  assert.deepEqual(zwx!.ignored, ['notes.txt']);
  const by = (name: string) => zwx!.photos.find((p) => p.source === join(photos, name));
  assert.deepEqual(zwx!.photos.map((p) => p.source), (await listImages(photos)), 'every image file, in order');
  assert.deepEqual(by('small.png')!.prepared, join(dir, 'runs', 'prepared', 'zwx', 'small.png'));
  assert.match(by('small.png')!.warnings.join(), /32×32, smaller than the training resolution/);
  assert.equal(by('broken.jpg')!.prepared, undefined);
  assert.ok(by('broken.jpg')!.skipped, 'the unreadable photo says why it was skipped');
  assert.deepEqual([by('01.jpg')!.warnings, by('01.jpg')!.skipped], [[], undefined]);
});

test('prepare: cancellation stops between images, before any class image is generated', async () => {
  const { file, dir } = await project('b');
  const r = recorder(2);
  await assert.rejects(prepare({ conceptFile: file }, r.ctx, { runtime, cacheDir }), JobCancelled);
  assert.deepEqual(await readdir(join(dir, 'runs', 'prepared', 'zwx')), ['01.png', '02.png']);
  assert.deepEqual(await listImages(join(dir, 'runs', 'class', 'zwx')), []);
});

test('prepare: a concept file with errors fails, naming the file', async () => {
  const { file } = await project('c');
  await writeFile(file, (await readFile(file, 'utf8')).replace(/resolution\s+64/, 'resolution "big"'));
  await assert.rejects(prepare({ conceptFile: file }, recorder().ctx, { runtime, cacheDir }), (e: Error) => e.message.includes(file) && /error/.test(e.message));
});
