// Issue 11's smoke run in CI: DreamBooth on the world base model (data/world-sd) with the product's own
// train job, a short full fine-tune without prior preservation, then "a photo of ohwx shape" drawn
// before and after and judged by the committed recogniser. The base never draws the subject; after
// training its images must be clearly closer to the instance images — a trainer that updates nothing,
// trains the wrong weights or loses the prompt fails here. The threshold is loose (the full benchmark
// is `npm run quality -- --train all`, bench/QUALITY.md).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { openRuntime, type Runtime } from '../../sidecar/runtime/runtime';
import { trainVariant } from '../../world/quality/dreambooth';
import { imagesIn, readRgb } from '../../world/quality/images';
import { identity } from '../../world/quality/metrics';
import { IDENTITY_PROMPT } from '../../world/quality/prompts';
import { generated } from '../../world/quality/run';
import { type Recognition, Recogniser } from '../../world/recogniser/recognise';

const ROOT = resolve(__dirname, '..', '..');
const MODEL = join(ROOT, 'data', 'world-sd');
const INSTANCES = join(ROOT, 'examples', 'shape-ohwx', 'photos');
const COUNT = 12;
/** A full fine-tune with the text encoder, no prior: the variant that learns the subject fastest
 *  (bench/QUALITY.md). 500 steps take about a minute on 2 cores. */
const SMOKE_STEPS = 500;
const SMOKE_LR = 2e-4;
/** Similarity to the instance images (DreamBooth's DINO score with our embedding) is the steady
 *  signal: 0.44 → 0.71 on the committed model (the world's own renders of the subject: 0.75).
 *  "Recognised as the subject" swings between runs (0–42% at 500–800 steps: generated crescents are
 *  often called rings), so it is printed, not asserted. */
const MIN_GAIN = 0.1;

let dir: string;
let runtime: Runtime;
let recogniser: Recogniser;
let instances: Recognition[];
const ctx = { progress: () => undefined, log: () => undefined, signal: new AbortController().signal };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dreambooth-smoke-'));
  runtime = await openRuntime({ providers: ['cpu'] });
  recogniser = await Recogniser.open({ runtime });
  const files = await imagesIn(INSTANCES);
  instances = await recogniser.recognise(await readRgb(files), files.length);
});
after(async () => {
  await recogniser?.close();
  await runtime?.close();
  await rm(dir, { recursive: true, force: true });
});

async function identityOf(name: string, lora: string | undefined) {
  const files = await generated({ name, model: MODEL, lora }, join(dir, name), IDENTITY_PROMPT, { count: COUNT, steps: 20, guidance: 7.5, seed: 1, ctx, runtime });
  return identity(await recogniser.recognise(await readRgb(files), files.length), instances);
}

test('a short DreamBooth run teaches the world base model the subject', async () => {
  const base = await identityOf('base', undefined);
  const trained = await trainVariant({ name: 'smoke', method: 'full', prior: false, steps: SMOKE_STEPS, learningRate: SMOKE_LR, trainTextEncoder: true }, { model: MODEL, instances: INSTANCES, outDir: dir, runtime, ctx });
  const after = await identityOf('after', trained.lora);
  console.log(`identity before ${JSON.stringify(base)} after ${JSON.stringify(after)}`);
  assert.equal(base.recognised, 0, 'the base model already draws the subject: the benchmark would measure nothing');
  assert.ok(after.similarity > base.similarity + MIN_GAIN, `similarity to the instances ${base.similarity.toFixed(3)} → ${after.similarity.toFixed(3)}`);
});
