// The networks built from SD 1.5's configs declare exactly the parameters of SD 1.5 (names and shapes
// from fixtures/sd15-keys.json, written by diffusers/transformers), and attention at SD 1.5's largest
// resolution never forms a full score matrix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildUNet } from '../../sidecar/models/unet_2d_condition';
import { buildVaeDecoder, buildVaeEncoder } from '../../sidecar/models/autoencoder_kl';
import { buildTextEncoder } from '../../sidecar/models/clip_text_model';
import { parseClipTextConfig, parseUNetConfig, parseVaeConfig } from '../../sidecar/models/configs';
import type { Graph } from '../../sidecar/graph/graph';
import type { JsonObject } from '../../sidecar/models/config-check';

interface Manifest {
  configs: Record<'unet' | 'vae' | 'text_encoder', JsonObject>;
  diffusers: Record<'unet' | 'vae' | 'text_encoder', Record<string, { shape: number[] }>>;
}
const m = JSON.parse(readFileSync(join(__dirname, '../../fixtures/sd15-keys.json'), 'utf8')) as Manifest;

function params(...graphs: Graph[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const g of graphs) for (const p of g.params) out.set(p.name, p.shape as number[]);
  return out;
}

function assertSameParams(got: Map<string, number[]>, want: Record<string, { shape: number[] }>, ignore: (k: string) => boolean = () => false): void {
  const wantKeys = Object.keys(want).filter((k) => !ignore(k));
  const missing = wantKeys.filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !(k in want));
  assert.deepEqual({ missing, extra }, { missing: [], extra: [] });
  for (const k of wantKeys) assert.deepEqual(got.get(k), want[k]!.shape, k);
}

test('UNet parameters equal SD 1.5 names and shapes', () => {
  const g = buildUNet(parseUNetConfig(m.configs.unet, 'sd15 unet'), { batch: 2, height: 64, width: 64 });
  assertSameParams(params(g), m.diffusers.unet);
});

test('VAE encoder + decoder parameters equal SD 1.5 names and shapes', () => {
  const cfg = parseVaeConfig(m.configs.vae, 'sd15 vae');
  assertSameParams(params(buildVaeEncoder(cfg, { batch: 1, height: 64, width: 64 }), buildVaeDecoder(cfg, { batch: 1, height: 8, width: 8 })), m.diffusers.vae);
});

test('text encoder parameters equal CLIP ViT-L/14 names and shapes (position_ids is a buffer)', () => {
  const g = buildTextEncoder(parseClipTextConfig(m.configs.text_encoder, 'sd15 te'), { batch: 1 });
  assertSameParams(params(g), m.diffusers.text_encoder, (k) => k.endsWith('position_ids'));
});

test('attention at 512x512 never materialises a full score matrix: fused in float32, chunked softmax in float16', () => {
  const unet = parseUNetConfig(m.configs.unet, 'sd15 unet');
  const vae = parseVaeConfig(m.configs.vae, 'sd15 vae');
  for (const g of [buildUNet(unet, { batch: 2, height: 64, width: 64 }), buildVaeDecoder(vae, { batch: 1, height: 64, width: 64 })]) {
    assert.equal(g.values.filter((v) => v.op === 'Softmax').length, 0, 'float32 graphs use the fused kernel');
    assert.ok(g.values.some((v) => v.op === 'MultiHeadAttention'));
  }
  for (const g of [buildUNet(unet, { batch: 2, height: 64, width: 64, dtype: 'float16' })]) {
    const softmaxes = g.values.filter((v) => v.op === 'Softmax');
    assert.ok(softmaxes.length > 0);
    for (const s of softmaxes) {
      const n = s.shape.reduce<number>((a, d) => a * (d as number), 1);
      assert.ok(n <= 2 ** 25, `${s} has ${n} elements`);
    }
  }
});

test('non-multiple latent sizes upsample to the skip connection size', () => {
  // 520x392 images → 65x49 latents: 65 → 33 → 17 → 9 on the way down, so the up path must hit 17, 33, 65.
  const g = buildUNet(parseUNetConfig(m.configs.unet, 'sd15 unet'), { batch: 1, height: 49, width: 65 });
  assert.deepEqual(g.outputs[0]!.value.shape, [1, 4, 49, 65]);
});
