// The benchmark's numbers on hand-made recognitions, with values worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HEAD_NAMES, HEADS, type HeadName } from '../../world/recogniser/heads';
import type { Recognition } from '../../world/recogniser/recognise';
import { fidelity, identity, prior } from '../../world/quality/metrics';
import { FIDELITY_PROMPTS } from '../../world/quality/prompts';
import { qualityTable } from '../../world/quality/table';

/** A recognition naming `shape`/`colour`/`background` with probability p for the shape. */
function seen(o: { shape: string; colour?: string; background?: string; p?: number; emb?: number[] }): Recognition {
  const classes = { shape: o.shape, colour: o.colour ?? 'red', background: o.background ?? 'blue', texture: 'plain', size: 'big', position: 'centre' } as Record<HeadName, string>;
  const probs = {} as Record<HeadName, number[]>;
  for (const h of HEAD_NAMES) {
    const k = HEADS[h].length;
    const p = h === 'shape' ? (o.p ?? 0.9) : 0.9;
    probs[h] = (HEADS[h] as readonly string[]).map((c) => (c === classes[h] ? p : (1 - p) / (k - 1)));
  }
  return { classes, probs, embedding: Float32Array.from(o.emb ?? [1, 0]) };
}

test('fidelity: share right per attribute, and all three at once', () => {
  const want = { prompt: '', shape: 'star', colour: 'red', background: 'blue' } as const;
  const r = fidelity([
    { want, got: seen({ shape: 'star' }) },
    { want, got: seen({ shape: 'star', colour: 'green' }) },
    { want, got: seen({ shape: 'heart', background: 'white' }) },
    { want, got: seen({ shape: 'heart', colour: 'green', background: 'white' }) },
  ]);
  assert.deepEqual(r, { shape: 0.5, colour: 0.5, background: 0.5, all: 0.25 });
});

test('identity: share recognised as the subject, mean cosine over all generated × instance pairs', () => {
  const gen = [seen({ shape: 'subject', emb: [1, 0] }), seen({ shape: 'ring', emb: [0, 2] })];
  const inst = [seen({ shape: 'subject', emb: [1, 0] }), seen({ shape: 'subject', emb: [1, 1] })];
  // cosines: (1, 1/√2) for the first image, (0, 1/√2) for the second → mean (1 + 2/√2) / 4
  const r = identity(gen, inst);
  assert.equal(r.recognised, 0.5);
  assert.ok(Math.abs(r.similarity - (1 + 2 / Math.SQRT2) / 4) < 1e-6);
});

test('prior: confident world shapes (not the subject, not unrecognisable), subject share, and shape entropy over log 8', () => {
  const r = prior([seen({ shape: 'circle' }), seen({ shape: 'circle' }), seen({ shape: 'star' }), seen({ shape: 'subject' }), seen({ shape: 'heart', p: 0.3 }), seen({ shape: 'unrecognisable' })]);
  assert.equal(r.shape, 3 / 6);
  assert.equal(r.subject, 1 / 6);
  const h = -((2 / 3) * Math.log(2 / 3) + (1 / 3) * Math.log(1 / 3));
  assert.ok(Math.abs(r.diversity - h / Math.log(8)) < 1e-9);
  assert.equal(prior(['circle', 'square', 'triangle', 'star', 'heart', 'ring', 'cross', 'diamond'].map((s) => seen({ shape: s }))).diversity, 1);
});

test('the prompt set covers every shape and colour, never on a background of its own colour', () => {
  assert.equal(new Set(FIDELITY_PROMPTS.map((p) => p.shape)).size, 8);
  assert.equal(new Set(FIDELITY_PROMPTS.map((p) => p.colour)).size, 8);
  for (const p of FIDELITY_PROMPTS) assert.notEqual(p.colour, p.background, p.prompt);
});

test('the table has one line per row with percentages', () => {
  const t = qualityTable([{ name: 'model', row: { fidelity: { shape: 0.125, colour: 0.25, background: 1, all: 0 }, identity: { recognised: 0, similarity: 0.5 }, prior: { shape: 0.75, subject: 0, diversity: 0.8 } } }]);
  assert.equal(t.split('\n').length, 3);
  assert.match(t, /\| model \| 13% \| 25% \| 100% \| 0% \| 0% \| 0\.50 \| 75% \| 0% \| 0\.80 \|/);
});
