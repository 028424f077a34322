// A PNG's A1111 parameters → the gallery form ("use these settings"): texts as AUTOMATIC1111 and our
// generate job write them, with the LoRA and model mapped onto the pickers' entries, and what cannot
// be taken over said in notes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import { parametersToForm, pngParametersText, shortName } from '../../extension/gallery/pngSettings';
import { formatParameters } from '../../sidecar/images/infotext';
import type { Choice } from '../../protocol/webview';

const models: Choice[] = [
  { value: '/ws/fixtures/tiny-sd', label: 'tiny-sd', detail: 'concept file' },
  { value: 'stable-diffusion-v1-5/stable-diffusion-v1-5', label: 'stable-diffusion-v1-5', detail: 'setting' },
  { value: 'someone/repo/v1-5-pruned-emaonly.safetensors', label: 'x', detail: 'Hugging Face cache' },
];
const loras: Choice[] = [
  { value: '', label: 'None', detail: '' },
  { value: '/ws/runs/exports/zwx.safetensors', label: 'zwx', detail: "this run's exports" },
];

test('an A1111 infotext becomes the form fields it states', () => {
  const text = [
    'portrait of zwx person, oil painting',
    'Negative prompt: blurry, lowres',
    'Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 1234, Size: 512x768, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.9.4',
  ].join('\n');
  const { form, notes } = parametersToForm(text, { models, loras });
  assert.deepEqual(form, {
    prompt: 'portrait of zwx person, oil painting',
    negativePrompt: 'blurry, lowres',
    steps: 30,
    sampler: 'dpmpp_2m_karras',
    guidance: 7.5,
    seed: 1234,
    width: 512,
    height: 768,
    lora: '',
    model: 'someone/repo/v1-5-pruned-emaonly.safetensors',
  });
  assert.deepEqual(notes, []);
});

test('our Lora key selects the exported LoRA at its weight; PLMS is pndm', () => {
  const text = 'a photo of zwx\nSteps: 8, Sampler: PLMS, CFG scale: 7.0, Seed: 42, Size: 64x64, Model: tiny-sd, Lora: zwx:0.8';
  const { form, notes } = parametersToForm(text, { models, loras });
  assert.equal(form.lora, '/ws/runs/exports/zwx.safetensors');
  assert.equal(form.loraScale, 0.8);
  assert.equal(form.sampler, 'pndm');
  assert.equal(form.guidance, 7);
  assert.equal(form.model, '/ws/fixtures/tiny-sd');
  assert.equal(form.negativePrompt, '');
  assert.deepEqual(notes, []);
});

test('round trip: what the generate job writes comes back as the settings it was given', () => {
  const text = formatParameters({ prompt: 'a, b: c', negativePrompt: 'n', steps: 2, sampler: 'euler_a', cfgScale: 6.5, seed: 77, width: 64, height: 96, modelName: 'tiny-sd', extra: { Lora: 'zwx:0.8' } });
  assert.match(text, /Lora: "zwx:0\.8"/, 'the value is quoted (it holds a colon)');
  const { form, notes } = parametersToForm(text, { models, loras });
  assert.deepEqual(form, { prompt: 'a, b: c', negativePrompt: 'n', steps: 2, sampler: 'euler_a', guidance: 6.5, seed: 77, width: 64, height: 96, model: '/ws/fixtures/tiny-sd', lora: '/ws/runs/exports/zwx.safetensors', loraScale: 0.8 });
  assert.deepEqual(notes, []);
});

test('what the gallery cannot take over is said, and those fields are left alone', () => {
  const text = 'x <lora:other:0.5>\nSteps: 20, Sampler: UniPC, CFG scale: 7, Seed: 1, Size: 512x512, Model: unknown-model, Lora: elsewhere:1, Clip skip: 2';
  const { form, notes } = parametersToForm(text, { models, loras });
  assert.equal(form.sampler, undefined);
  assert.equal(form.model, undefined);
  assert.equal(form.lora, undefined, 'an unknown LoRA keeps the form’s choice');
  assert.equal(form.steps, 20);
  assert.equal(notes.length, 5, notes.join('\n'));
  for (const word of ['UniPC', 'unknown-model', 'elsewhere', 'Clip skip', '<lora:']) assert.ok(notes.some((n) => n.includes(word)), `a note names ${word}`);
});

test('bad numbers are notes, not NaN in the form', () => {
  const { form, notes } = parametersToForm('p\nSteps: many, Sampler: Euler, CFG scale: high, Seed: -3, Size: big', { models, loras });
  assert.deepEqual(Object.keys(form).sort(), ['lora', 'negativePrompt', 'prompt', 'sampler']);
  assert.equal(notes.length, 4, notes.join('\n'));
});

test('shortName is the name A1111 shows for a model or LoRA', () => {
  assert.equal(shortName('/a/b/zwx.safetensors'), 'zwx');
  assert.equal(shortName('C:\\models\\v1-5.SAFETENSORS'), 'v1-5');
  assert.equal(shortName('owner/repo@main'), 'repo');
  assert.equal(shortName('/a/tiny-sd/'), 'tiny-sd');
});

test('pngParametersText reads the tEXt chunk; a PNG without one has none; a non-PNG is refused', () => {
  // A 1×1 PNG with a tEXt "parameters" chunk, bytes written out by hand (CRCs from node:zlib).
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = chunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
  const idat = chunk('IDAT', deflateSync(Buffer.from([0, 0])));
  const iend = chunk('IEND', Buffer.alloc(0));
  const text = chunk('tEXt', Buffer.from('parameters\0a cat\nSteps: 2, Sampler: Euler, Seed: 3', 'latin1'));
  assert.equal(pngParametersText(Buffer.concat([sig, ihdr, text, idat, iend])), 'a cat\nSteps: 2, Sampler: Euler, Seed: 3');
  assert.equal(pngParametersText(Buffer.concat([sig, ihdr, idat, iend])), undefined);
  assert.throws(() => pngParametersText(Buffer.from('GIF89a')), /not a PNG/);
});
