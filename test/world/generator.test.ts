// The procedural world: captions use only single CLIP tokens and say what the image shows; the same
// seed gives the same bytes; the files the pretraining reads are written as documented.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { bundledTokenizer } from '../../language/clip-vocab';
import { CAPTIONS_FILE, type WorldItem, worldItem, writeSubject, writeWorld } from '../../world/generator/dataset';
import { renderRgb } from '../../world/generator/render';
import { CAPTION_WORDS, COLOURS, POSITION_PHRASES, SHAPES } from '../../world/generator/vocabulary';

const captions = Array.from({ length: 400 }, (_, i) => worldItem(7, i));

test('every word of the world is one token of the CLIP vocabulary', () => {
  const tok = bundledTokenizer();
  for (const w of CAPTION_WORDS) assert.equal(tok.tokenize(w).length, 1, `"${w}" → ${tok.tokenize(w).join(' ')}`);
  for (const { caption } of captions) for (const w of caption.split(' ')) assert.ok(CAPTION_WORDS.includes(w), `"${w}" in "${caption}" is not a world word`);
  // and the tokenizer sees exactly those words (no punctuation or merges across words)
  for (const { caption } of captions.slice(0, 50)) assert.equal(tok.tokenize(caption).length, caption.split(' ').length, caption);
});

test('a caption names the scene: its shape (or "shape"), colour, background, size and position when it mentions them', () => {
  for (const { scene: s, caption: c } of captions) {
    const words = c.split(' ');
    const noun = words.find((w) => (SHAPES as readonly string[]).includes(w) || w === 'shape');
    assert.ok(noun === s.shape || noun === 'shape', `${c} / ${s.shape}`);
    const colours = words.filter((w) => w in COLOURS);
    if (c.includes(' background')) {
      const bg = s.texture === 'plain' ? `${s.background} background` : `${s.background} ${s.texture} background`;
      assert.ok(c.endsWith(`on a ${bg}`) || c.endsWith(`on an ${bg}`), `${c} / ${bg}`);
      assert.equal(colours.at(-1), s.background, c);
      colours.pop();
    }
    assert.ok(colours.length === 0 || (colours.length === 1 && colours[0] === s.colour), `${c} / ${s.colour}`);
    if (words.includes('small') || words.includes('big')) assert.ok(words.includes(s.size), `${c} / ${s.size}`);
    for (const [p, phrase] of Object.entries(POSITION_PHRASES)) if (c.includes(phrase)) assert.equal(s.position, p, c);
  }
  const seen = (k: 'shape' | 'colour' | 'background' | 'texture' | 'size' | 'position') => new Set(captions.map((x) => x.scene[k])).size;
  assert.deepEqual([seen('shape'), seen('colour'), seen('background'), seen('texture'), seen('size'), seen('position')], [8, 8, 8, 4, 2, 5]);
});

test('the same seed draws the same image; another seed another one', async () => {
  const a = await renderRgb(worldItem(3, 5).scene, 64);
  const b = await renderRgb(worldItem(3, 5).scene, 64);
  const c = await renderRgb(worldItem(4, 5).scene, 64);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('pixels show the scene: object colour at a filled shape\'s centre, background colour in the far corner', async () => {
  let checked = 0;
  for (let i = 0; checked < 12; i++) {
    const { scene: s } = worldItem(11, i);
    if (!['circle', 'square'].includes(s.shape) || s.texture !== 'plain') continue;
    const px = await renderRgb(s, 64);
    const at = (x: number, y: number) => Array.from(px.subarray((Math.floor(y * 64) * 64 + Math.floor(x * 64)) * 3, (Math.floor(y * 64) * 64 + Math.floor(x * 64)) * 3 + 3));
    const near = (got: number[], want: readonly number[], what: string) => got.forEach((v, k) => assert.ok(Math.abs(v - want[k]!) <= 14, `${what}: ${got} vs ${want}`));
    near(at(s.x, s.y), COLOURS[s.colour], `${s.colour} ${s.shape} centre`);
    const corner = { x: s.x < 0.5 ? 0.97 : 0.02, y: s.y < 0.5 ? 0.97 : 0.02 };
    near(at(corner.x, corner.y), COLOURS[s.background], `${s.background} background`);
    checked++;
  }
});

test('writeWorld writes NNNNN.png at the requested size and one captions.jsonl line per image', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'world-'));
  try {
    await writeWorld(dir, { count: 5, seed: 2, size: 32 });
    assert.deepEqual((await readdir(dir)).sort(), ['00000.png', '00001.png', '00002.png', '00003.png', '00004.png', CAPTIONS_FILE]);
    const lines = (await readFile(join(dir, CAPTIONS_FILE), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as WorldItem);
    assert.deepEqual(lines.map((l) => l.file), ['00000.png', '00001.png', '00002.png', '00003.png', '00004.png']);
    assert.deepEqual(lines.map((l) => l.caption), [0, 1, 2, 3, 4].map((i) => worldItem(2, i).caption));
    const meta = await sharp(join(dir, '00003.png')).metadata();
    assert.deepEqual([meta.width, meta.height], [32, 32]);
    const subject = await writeSubject(join(dir, 'subject'), { count: 6, seed: 0, size: 64 });
    assert.equal(subject.length, 6);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad seeds are refused with the allowed range', () => {
  assert.throws(() => worldItem(-1, 0), /seed must be an integer in 0\.\.2047/);
  assert.throws(() => worldItem(5000, 0), /seed must be an integer in 0\.\.2047/);
});

test('detail (the VAE codec set) keeps the scene and draws its pattern and mark inside the object only', async () => {
  let checked = 0;
  for (let i = 0; checked < 6; i++) {
    const plain = worldItem(5, i);
    const detailed = worldItem(5, i, { detail: true });
    const { detail, ...scene } = detailed.scene;
    assert.deepEqual(scene, plain.scene, 'the world scene is unchanged');
    assert.ok(detail && detail.ink !== scene.colour && detail.mark?.colour !== scene.colour, JSON.stringify(detail));
    if (!['circle', 'square'].includes(scene.shape) || scene.texture !== 'plain' || detail.pattern === 'none') continue;
    const [a, b] = await Promise.all([renderRgb(plain.scene, 64), renderRgb(detailed.scene, 64)]);
    const inObject = (p: number) => Math.hypot((p % 64) + 0.5 - scene.x * 64, Math.floor(p / 64) + 0.5 - scene.y * 64) < scene.radius * 64 * 0.8;
    let inside = 0;
    for (let p = 0; p < 64 * 64; p++) {
      const differs = [0, 1, 2].some((c) => a[p * 3 + c] !== b[p * 3 + c]);
      if (differs && inObject(p)) inside++;
      // outside the object's disc (with an antialiasing margin) nothing changes
      if (Math.hypot((p % 64) + 0.5 - scene.x * 64, Math.floor(p / 64) + 0.5 - scene.y * 64) > scene.radius * 64 * 1.25 + 1) assert.ok(!differs, `pixel ${p} outside the ${scene.shape} changed`);
    }
    assert.ok(inside > 20, `only ${inside} pixels of the ${scene.shape} show its ${detail.pattern}`);
    checked++;
  }
  assert.throws(() => worldItem(5, 0, { subject: true, detail: true }), /own shape and colour/);
});
