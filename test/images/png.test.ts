import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { encodePng, readPngParameters, toRgbBytes, writePng } from '../../sidecar/images/png';
import { modelHash } from '../../sidecar/images/model-hash';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { crc32, readChunks, readTextChunks, PngFormatError } from '../../sidecar/images/png-chunks';
import { formatParameters, parseParameters, type GenerationInfo } from '../../sidecar/images/infotext';

const info: GenerationInfo = {
  prompt: 'elegant close-up portrait of zwx person wearing a tailored suit, digital painting',
  negativePrompt: 'blurry, lowres',
  steps: 30,
  sampler: 'dpmpp_2m',
  cfgScale: 7.5,
  seed: 1234,
  width: 512,
  height: 512,
  modelHash: '6ce0161689',
  modelName: 'v1-5-pruned-emaonly',
};

test('crc32 check value (ISO 3309 / PNG): "123456789" → cbf43926', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('infotext in AUTOMATIC1111 format', () => {
  assert.equal(
    formatParameters(info),
    'elegant close-up portrait of zwx person wearing a tailored suit, digital painting\n' +
      'Negative prompt: blurry, lowres\n' +
      'Steps: 30, Sampler: DPM++ 2M, CFG scale: 7.5, Seed: 1234, Size: 512x512, Model hash: 6ce0161689, Model: v1-5-pruned-emaonly',
  );
  // no negative prompt line when empty; integral CFG printed as Python prints a float; quoting
  const t = formatParameters({ ...info, negativePrompt: '', cfgScale: 7, sampler: 'euler_a', modelHash: undefined, modelName: 'my, model: v2' });
  assert.equal(t, `${info.prompt}\nSteps: 30, Sampler: Euler a, CFG scale: 7.0, Seed: 1234, Size: 512x512, Model: "my, model: v2"`);
});

test('parseParameters reads what formatParameters writes (and A1111 text)', () => {
  const p = parseParameters(formatParameters({ ...info, modelName: 'a, b', prompt: 'line one\nline two' }));
  assert.equal(p.prompt, 'line one\nline two');
  assert.equal(p.negativePrompt, 'blurry, lowres');
  assert.deepEqual(p.params, { Steps: '30', Sampler: 'DPM++ 2M', 'CFG scale': '7.5', Seed: '1234', Size: '512x512', 'Model hash': '6ce0161689', Model: 'a, b' });
  const a1111 = 'a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b';
  assert.deepEqual(parseParameters(a1111), { prompt: 'a cat', negativePrompt: '', params: { Steps: '20', Sampler: 'Euler a', 'CFG scale': '7', Seed: '965400086', Size: '512x512', 'Model hash': '45dee52b' } });
});

test('float CHW in [-1, 1] → RGB bytes as diffusers maps them', () => {
  // 2×1 image: pixel 0 = (-1, 0, 1), pixel 1 = (2, -3, NaN → 0)
  const chw = new Float32Array([-1, 2, 0, -3, 1, NaN]);
  assert.deepEqual(Array.from(toRgbBytes(chw, 2, 1)), [0, 128, 255, 255, 0, 0]);
  assert.throws(() => toRgbBytes(new Float32Array(5), 2, 1), /has 6 values, got 5/);
});

test('writePng: pixels, a parameters chunk that reads back, atomic', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'png-test-'));
  const path = join(dir, 'out.png');
  const w = 4;
  const h = 3;
  const hwc = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
  const text = formatParameters({ ...info, width: w, height: h });
  await writePng(path, hwc, w, h, text);
  assert.deepEqual(await readdir(dir), ['out.png']);
  const bytes = new Uint8Array(await readFile(path));
  assert.equal(readTextChunks(bytes).parameters, text);
  const chunks = readChunks(bytes).map((c) => c.type);
  assert.ok(chunks.indexOf('tEXt') < chunks.indexOf('IDAT'), chunks.join(','));
  // an independent decoder reads the pixels back unchanged
  const { data, info: meta } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  assert.equal(meta.width, w);
  assert.equal(meta.height, h);
  assert.deepEqual(Array.from(data), Array.from(hwc));
  assert.equal(parseParameters(readTextChunks(bytes).parameters!).params.Seed, '1234');
  assert.equal((await readPngParameters(path))?.negativePrompt, 'blurry, lowres');
});

test('non-Latin-1 text goes into an iTXt chunk (as PIL does) and reads back', async () => {
  const text = formatParameters({ ...info, prompt: 'photo of zwx, 東京の夜景 🌃' });
  const bytes = await encodePng(new Uint8Array(3), 1, 1, text);
  assert.ok(readChunks(bytes).some((c) => c.type === 'iTXt'));
  assert.equal(readTextChunks(bytes).parameters, text);
  await sharp(bytes).metadata(); // still a valid PNG for libpng
});

test('corrupt PNGs are reported', async () => {
  assert.throws(() => readChunks(new Uint8Array([1, 2, 3])), PngFormatError);
  const bytes = await encodePng(new Uint8Array(3), 1, 1, 'x');
  const bad = bytes.slice();
  bad[bad.length - 20]! ^= 0xff; // inside IDAT/IEND region: some chunk's CRC no longer matches
  assert.throws(() => readChunks(bad), /bad CRC|past the end|truncated/);
});

test('modelHash is the first 10 hex digits of the file\'s SHA-256 (A1111 shorthash)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hash-test-'));
  const path = join(dir, 'm.safetensors');
  const data = new Uint8Array(9 << 20).map((_, i) => i * 7);
  await writeFile(path, data);
  assert.equal(await modelHash(path), createHash('sha256').update(data).digest('hex').slice(0, 10));
  const abc = join(dir, 'abc.bin');
  await writeFile(abc, 'abc');
  assert.equal(await modelHash(abc), 'ba7816bf8f'); // FIPS 180-2 test vector SHA-256("abc")
});
