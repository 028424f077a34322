// The committed recogniser on world images it has never seen (a seed its training never used):
// it must name shape, colour and background nearly always, tell the subject from the world's
// shapes, embed subject images closer to the instance set than other shapes, call images with no
// object "unrecognisable" and still see a blurred scene.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { renderItems } from '../../world/generator/dataset';
import type { Scene } from '../../world/generator/scene';
import { SUBJECT } from '../../world/generator/vocabulary';
import { HEAD_NAMES, UNRECOGNISABLE } from '../../world/recogniser/heads';
import { blur, noiseImage } from '../../world/recogniser/noise';
import { toInput } from '../../world/recogniser/model';
import { type Recognition, Recogniser } from '../../world/recogniser/recognise';
import { DEFAULT_TRAINING, SUBJECT_SHARE } from '../../world/recogniser/train';
import { identity } from '../../world/quality/metrics';

const HELD_OUT_SEED = 1999;
const COUNT = 540;
let rec: Recogniser;
let scenes: Scene[];
let seen: Recognition[];

before(async () => {
  assert.notEqual(HELD_OUT_SEED, DEFAULT_TRAINING.seed);
  rec = await Recogniser.open();
  const r = await renderItems(HELD_OUT_SEED, COUNT, 64, { subjectShare: SUBJECT_SHARE });
  scenes = r.scenes;
  seen = await rec.recognise(r.pixels, COUNT);
});
after(() => rec?.close());

test('held-out world images: shape, colour and background over 90% right; the other heads over 80%', () => {
  const acc = Object.fromEntries(HEAD_NAMES.map((h) => [h, seen.filter((s, i) => s.classes[h] === scenes[i]![h]).length / COUNT]));
  console.log('held-out accuracy', JSON.stringify(Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v.toFixed(3)]))));
  for (const h of ['shape', 'colour', 'background'] as const) assert.ok(acc[h]! > 0.9, `${h}: ${acc[h]}`);
  for (const h of ['texture', 'size', 'position'] as const) assert.ok(acc[h]! > 0.8, `${h}: ${acc[h]}`);
});

test('the subject is told apart from the world\'s shapes, and its embeddings are closer to the instance set', () => {
  const isSubject = scenes.map((s) => s.shape === SUBJECT.label);
  const subj = seen.filter((_, i) => isSubject[i]);
  const other = seen.filter((_, i) => !isSubject[i]);
  assert.ok(subj.length >= 50);
  assert.ok(subj.filter((s) => s.classes.shape === SUBJECT.label).length / subj.length > 0.9);
  assert.ok(other.filter((s) => s.classes.shape === SUBJECT.label).length / other.length < 0.03);
  const instances = subj.slice(0, 6);
  const a = identity(subj.slice(6), instances).similarity;
  const b = identity(other, instances).similarity;
  assert.ok(a > b + 0.2, `subject ${a.toFixed(2)} vs other shapes ${b.toFixed(2)}`);
});

test('images with no object are unrecognisable; world shapes are not', async () => {
  const n = 40;
  const noise = new Uint8Array(n * 64 * 64 * 3);
  for (let i = 0; i < n; i++) noise.set(noiseImage(HELD_OUT_SEED, i, 64), i * 64 * 64 * 3);
  const got = await rec.recognise(noise, n);
  const share = got.filter((g) => g.classes.shape === UNRECOGNISABLE).length / n;
  assert.ok(share > 0.9, `${(share * 100).toFixed(0)}% of noise images unrecognisable`);
  assert.ok(seen.filter((s) => s.classes.shape === UNRECOGNISABLE).length / COUNT < 0.02);
});

test('a blurred world image is still recognised: shape and colour over 85% right', async () => {
  const n = 90;
  const r = await renderItems(HELD_OUT_SEED + 1, n, 64);
  const planar = toInput(r.pixels, n);
  const per = 3 * 64 * 64;
  for (let i = 0; i < n; i++) blur(planar.subarray(i * per, (i + 1) * per), 64, 2);
  const bytes = new Uint8Array(n * per);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) for (let p = 0; p < 64 * 64; p++) bytes[i * per + p * 3 + c] = Math.round((planar[i * per + c * 64 * 64 + p]! + 1) * 127.5);
  const got = await rec.recognise(bytes, n);
  for (const h of ['shape', 'colour'] as const) {
    const acc = got.filter((g, i) => g.classes[h] === r.scenes[i]![h]).length / n;
    assert.ok(acc > 0.85, `${h} of blurred images: ${(acc * 100).toFixed(0)}%`);
  }
});
