// Instance-image preparation: EXIF orientation applied, square crop at the training resolution,
// channel-major values in [-1, 1]; unreadable and non-image files skipped with a reason.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { prepareFolder } from '../../sidecar/training/images';

const dir = mkdtempSync(join(tmpdir(), 'dreambooth-images-'));
after(() => rm(dir, { recursive: true, force: true }));

/** A w×h image whose left half is red and right half blue (RGB bytes). */
function halves(w: number, h: number): Buffer {
  const b = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b[(y * w + x) * 3 + (x < w / 2 ? 0 : 2)] = 255;
  return b;
}

test('prepareFolder: EXIF rotation, square crop, [-1, 1] channel-major; broken files skipped', async () => {
  // Stored 32×16 with red left / blue right, EXIF orientation 6 (display rotated 90° clockwise):
  // displayed 16×32, red on top and blue below. A square crop of that is one colour per row band,
  // so after rotation the top row must be red and the bottom row blue — without it, left/right.
  await sharp(halves(32, 16), { raw: { width: 32, height: 16, channels: 3 } }).png().withMetadata({ orientation: 6 }).toFile(join(dir, 'a.png'));
  await writeFile(join(dir, 'b.jpg'), 'not an image');
  await writeFile(join(dir, 'notes.txt'), 'ignored');
  const r = await prepareFolder(dir, 8);
  assert.deepEqual(r.skipped.map((s) => s.file), [join(dir, 'b.jpg')]);
  assert.equal(r.images.length, 1);
  const px = r.images[0]!.pixels;
  assert.equal(px.length, 3 * 8 * 8);
  for (const v of px) assert.ok(v >= -1 && v <= 1, `value ${v} outside [-1, 1]`);
  const at = (c: number, y: number, x: number) => px[c * 64 + y * 8 + x]!;
  assert.ok(at(0, 0, 4) > 0.5 && at(2, 0, 4) < -0.5, `top row red: r=${at(0, 0, 4)} b=${at(2, 0, 4)}`);
  assert.ok(at(2, 7, 4) > 0.5 && at(0, 7, 4) < -0.5, `bottom row blue: r=${at(0, 7, 4)} b=${at(2, 7, 4)}`);
});

test('photos smaller than the resolution and animated ones are used with a warning naming them; other files are listed once', async () => {
  const d = mkdtempSync(join(tmpdir(), 'dreambooth-photo-warnings-'));
  try {
    await sharp(halves(120, 90), { raw: { width: 120, height: 90, channels: 3 } }).jpeg().toFile(join(d, 'small.jpg'));
    // Displayed 90 wide after EXIF rotation: the shorter side counts as displayed.
    await sharp(halves(300, 90), { raw: { width: 300, height: 90, channels: 3 } }).png().withMetadata({ orientation: 6 }).toFile(join(d, 'rotated.png'));
    await sharp(halves(160, 160), { raw: { width: 160, height: 160, channels: 3 } }).png().toFile(join(d, 'big.png'));
    const frame = (background: string) => sharp({ create: { width: 160, height: 160, channels: 3, background } }).png().toBuffer();
    await sharp([await frame('red'), await frame('blue')], { join: { animated: true } }).gif().toFile(join(d, 'anim.gif'));
    await writeFile(join(d, 'notes.txt'), 'not a photo');
    await writeFile(join(d, 'shoot.pdf'), 'not a photo');
    const r = await prepareFolder(d, 128);
    const warn = (name: string) => r.images.find((i) => i.file === join(d, name))!.warnings;
    assert.match(warn('small.jpg').join(), /is 120×90, smaller than the training resolution.*needs at least 128 px on its shorter side for resolution 128/);
    assert.match(warn('rotated.png').join(), /is 90×300/);
    assert.deepEqual(warn('big.png'), []);
    assert.match(warn('anim.gif').join(), /is animated \(2 frames\): only the first frame is used/);
    assert.deepEqual(r.ignored, ['notes.txt', 'shoot.pdf']);
  } finally {
    await rm(d, { recursive: true, force: true });
  }
});
