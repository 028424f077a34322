// resolveConcept: every default applied, computed defaults, absolute paths; loadConcept refuses errors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConceptFileError, loadConcept } from '../../language/load';
import { parseConcept } from '../../language/parse';
import { exportKindOf, generateRequest, modelLooksLikePath, resolveConcept, runLayout, runName, trainedResult } from '../../language/resolve';
import { KEYS } from '../../language/schema';

const root = resolve(__dirname, '..', '..');
const resolveText = (text: string, dir = '/proj') => resolveConcept(parseConcept(text).doc, dir);

test('a minimal file gets every documented default', () => {
  const r = resolveText('concept sks {\n  instance_prompt "photo of sks dog"\n  instance_images "./me"\n}\ngenerate {\n  prompt "sks dog"\n}\n', '/proj');
  assert.equal(r.model, 'runwayml/stable-diffusion-v1-5');
  assert.equal(r.modelIsPath, false);
  assert.equal(r.output, '/proj/runs');
  assert.deepEqual(r.concepts, [{ name: 'sks', instancePrompt: 'photo of sks dog', classPrompt: null, instanceImages: '/proj/me', classImages: '/proj/runs/class/sks', numClassImages: 0 }]);
  assert.deepEqual(r.train, {
    method: 'lora', steps: 800, learningRate: 1e-4, lrScheduler: 'constant', lrWarmupSteps: 0, maxGradNorm: 1, batchSize: 1, priorLossWeight: 1, gradientAccumulationSteps: 1, minSnrGamma: 0, noiseOffset: 0, randomFlip: false, trainTextEncoder: false, trainTextEncoderSteps: 0, mixedPrecision: 'no', resolution: 512, seed: 42, saveEvery: 200,
    samplePrompt: 'photo of sks dog', loraRank: 4, loraAlpha: 4,
  });
  assert.deepEqual(r.generate, { default: { prompt: 'sks dog', negativePrompt: '', count: 4, steps: 30, guidance: 7.5, sampler: 'dpmpp_2m', seed: 42, width: 512, height: 512 } });
  // The defaults the schema documents (hovers, README) are the ones applied.
  const camel = (s: string) => s.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  for (const [scope, block] of [['train', r.train], ['generate', r.generate.default]] as const) {
    for (const k of KEYS[scope]) {
      if (typeof k.default === 'number' || typeof k.default === 'boolean' || (typeof k.default === 'string' && k.default !== 'computed')) {
        assert.equal((block as unknown as Record<string, unknown>)[camel(k.name)], k.default, `${scope}.${k.name}`);
      }
    }
  }
});

test('computed defaults follow the other values', () => {
  const r = resolveText('concept a {\n  instance_prompt "photo of a x"\n  class_prompt "photo of a person"\n  instance_images "p"\n}\ntrain {\n  method full\n  lora_rank 16\n}\n');
  assert.equal(r.train.learningRate, 5e-6);
  assert.equal(r.train.loraAlpha, 16);
  assert.equal(r.concepts[0]!.numClassImages, 200);
  assert.equal(r.output, '/proj/runs');
});

test('the example resolves to absolute paths next to it', () => {
  const { concept } = loadConcept(join(root, 'examples', 'zwx', 'zwx.dreambooth'));
  assert.equal(concept.model, join(root, 'fixtures', 'tiny-sd'));
  assert.equal(concept.modelIsPath, true);
  assert.equal(concept.output, join(root, 'examples', 'zwx', 'runs'));
  assert.equal(concept.concepts[0]!.instanceImages, join(root, 'examples', 'zwx', 'photos'));
  assert.deepEqual(concept.generate.portrait, { prompt: 'portrait of zwx person, oil painting, soft light', negativePrompt: 'blurry, lowres', count: 2, steps: 8, guidance: 7.5, sampler: 'dpmpp_2m', seed: 1234, width: 64, height: 64 });
  assert.equal(concept.train.resolution, 64);
  assert.equal(concept.train.steps, 600);
});

test('model: Hub ids stay, paths become absolute, ~ is home', () => {
  assert.equal(modelLooksLikePath('runwayml/stable-diffusion-v1-5'), false);
  assert.equal(modelLooksLikePath('./sd'), true);
  assert.equal(modelLooksLikePath('model.safetensors'), true);
  assert.equal(modelLooksLikePath('C:\\models\\sd'), true);
  assert.equal(resolveText('model "~/models/sd.safetensors"\n').model, join(homedir(), 'models/sd.safetensors'));
  assert.equal(resolveText('model "../sd"\n', '/a/b').model, '/a/sd');
  assert.equal(resolveText('output "/abs/out"\n').output, '/abs/out');
});

test('several concepts and generate blocks; the first of a duplicated name wins', () => {
  const r = resolveText('concept a {\n}\nconcept b {\n}\ngenerate x {\n  prompt "1"\n}\ngenerate y {\n  prompt "2"\n}\ngenerate x {\n  prompt "3"\n}\n');
  assert.deepEqual(r.concepts.map((c) => c.name), ['a', 'b']);
  assert.deepEqual(Object.entries(r.generate).map(([k, g]) => [k, g.prompt]), [['x', '1'], ['y', '2']]);
});

test('invalid values fall back to defaults; loadConcept refuses files with errors, naming them', () => {
  assert.equal(resolveText('train {\n  steps -5\n}\n').train.steps, 800);
  const dir = mkdtempSync(join(tmpdir(), 'dreambooth-resolve-'));
  try {
    const f = join(dir, 'bad.dreambooth');
    writeFileSync(f, 'train {\n  steps -5\n}\n');
    assert.throws(() => loadConcept(f), (e: unknown) => e instanceof ConceptFileError && /bad\.dreambooth:2:9: error: steps: -5 is out of range/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('generateRequest: a block becomes a generate job in the run layout, with the LoRA training exported, or a full run\'s model, once it exists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'db-genreq-'));
  try {
    const file = join(dir, 'me.dreambooth');
    const text = 'model "runwayml/stable-diffusion-v1-5"\nconcept ohwx {\n  instance_prompt "photo of ohwx person"\n}\ngenerate suit {\n  prompt "ohwx in a suit"\n  seed 7\n  size 512x768\n}\n';
    const concept = resolveConcept(parseConcept(text).doc, dir);
    assert.equal(runName(concept, file), 'ohwx');
    const before = generateRequest(concept, 'suit', file);
    assert.deepEqual(
      { model: before.model, prompt: before.prompt, seed: before.seed, width: before.width, height: before.height, outDir: before.outDir, lora: before.lora },
      { model: 'runwayml/stable-diffusion-v1-5', prompt: 'ohwx in a suit', seed: 7, width: 512, height: 768, outDir: join(dir, 'runs', 'generate', 'suit'), lora: undefined },
    );
    const lora = runLayout(concept.output).exportedLora('ohwx');
    mkdirSync(dirname(lora), { recursive: true });
    writeFileSync(lora, '');
    assert.equal(generateRequest(concept, 'suit', file).lora, lora);
    assert.throws(() => generateRequest(concept, 'nope', file), /no generate block named "nope"/);
    // A full run leaves a merged checkpoint instead: it replaces the model (the newer of fp32 / fp16).
    rmSync(lora);
    const layout = runLayout(concept.output);
    const f32 = layout.exportTarget('ohwx', 'checkpoint', false);
    const f16 = layout.exportTarget('ohwx', 'checkpoint', true);
    writeFileSync(f16, '');
    utimesSync(f16, new Date(2026, 0, 1), new Date(2026, 0, 1));
    writeFileSync(f32, '');
    assert.deepEqual(trainedResult(concept, file), { model: f32 });
    const full = generateRequest(concept, 'suit', file);
    assert.deepEqual([full.model, full.lora], [f32, undefined]);
    rmSync(f32);
    assert.equal(generateRequest(concept, 'suit', file).model, f16);
    rmSync(f16);
    assert.equal(trainedResult(concept, file), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('exportKindOf reads back the names runLayout gives exports: merged checkpoints, LoRAs, and neither', () => {
  const layout = runLayout('/runs');
  const name = (p: string) => p.slice('/runs/exports/'.length);
  assert.equal(exportKindOf(name(layout.exportedLora('ohwx+sks'))), 'lora');
  for (const half of [false, true]) {
    assert.equal(exportKindOf(name(layout.exportTarget('ohwx', 'lora', half))), 'lora');
    assert.equal(exportKindOf(name(layout.exportTarget('ohwx', 'checkpoint', half))), 'checkpoint');
    assert.equal(exportKindOf(name(layout.exportTarget('ohwx', 'diffusers', half))), undefined, 'a diffusers folder');
  }
  assert.equal(exportKindOf('my-style.safetensors'), 'lora', 'a LoRA the user put there');
  for (const other of ['last.optimizer.safetensors', 'notes.txt', 'ohwx.ckpt']) assert.equal(exportKindOf(other), undefined, other);
});
