// The export plan at SD 1.5's size, against the manifest diffusers' own converter produced
// (fixtures/sd15-keys.json), without reading or writing a byte of weights: the merged checkpoint has
// exactly the converter's keys and shapes (VAE attention as 1x1 convolutions, no position_ids), in
// float32 or, with --half, float16; the diffusers folder has diffusers' keys and SD 1.5's configs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { SdCheckpoint, TensorRef } from '../../sidecar/weights/checkpoint-types';
import type { Component } from '../../sidecar/weights/sd1-keymap';
import type { LoraModule } from '../../sidecar/weights/kohya-lora';
import { planExport } from '../../sidecar/weights/export-plan';
import { parseClipTextConfig, parseUNetConfig, parseVaeConfig } from '../../sidecar/models/configs';
import { SD1_SCHEDULER_CONFIG } from '../../sidecar/weights/sd1-standard-configs';
import type { JsonObject } from '../../sidecar/models/config-check';

type Entry = { shape: number[]; dtype: string };
interface Manifest {
  configs: Record<Component, JsonObject>;
  diffusers: Record<Component, Record<string, Entry>>;
  original: Record<string, Entry>;
  counts: Record<Component, { parameters: number }>;
}
const m = JSON.parse(readFileSync(new URL('../../fixtures/sd15-keys.json', import.meta.url), 'utf8')) as Manifest;

/** An SD 1.5 checkpoint whose tensor references point nowhere: planning must not read them. */
function sd15(): SdCheckpoint {
  const weights = {} as SdCheckpoint['weights'];
  for (const c of ['unet', 'vae', 'text_encoder'] as Component[]) {
    const tensors = new Map<string, TensorRef>();
    for (const [key, e] of Object.entries(m.diffusers[c])) {
      const n = e.shape.reduce((a, d) => a * d, 1);
      tensors.set(key, { file: '/nonexistent/sd15.safetensors', sourceKey: key, dtype: 'F16', shape: e.shape, storedShape: e.shape, offset: 0, length: 2 * n });
    }
    weights[c] = { component: c, source: `sd15 ${c}`, tensors };
  }
  // A buffer some checkpoints carry: not a weight, not exported.
  weights.text_encoder.tensors.set('text_model.embeddings.position_ids', { file: '/nonexistent', sourceKey: 'p', dtype: 'I64', shape: [1, 77], storedShape: [1, 77], offset: 0, length: 616 });
  return {
    layout: 'single-file',
    path: '/nonexistent/sd15.safetensors',
    unet: parseUNetConfig(m.configs.unet, 'sd15 unet', 'epsilon'),
    vae: parseVaeConfig(m.configs.vae, 'sd15 vae'),
    textEncoder: parseClipTextConfig(m.configs.text_encoder, 'sd15 text encoder'),
    scheduler: SD1_SCHEDULER_CONFIG,
    tokenizerDir: '/nonexistent/tokenizer',
    weights,
  };
}

const module = (component: Component, kohya: string, out: number, inn: number): LoraModule => ({
  component,
  kohya,
  down: { shape: [1, inn], data: new Float32Array(inn) },
  up: { shape: [out, 1], data: new Float32Array(out) },
  scale: 1,
});
const lora = {
  kind: 'lora' as const,
  file: 'lora.safetensors',
  metadata: {},
  modules: [module('unet', 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q', 320, 320), module('text_encoder', 'lora_te_text_model_encoder_layers_0_self_attn_q_proj', 768, 768)],
};

const shapes = (tensors: Record<string, { shape: number[] }>) => Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]));

for (const half of [false, true]) {
  test(`checkpoint${half ? ' --half' : ''}: the converter's keys and shapes, every tensor ${half ? 'F16' : 'F32'}`, async () => {
    const plan = await planExport(sd15(), lora, 'checkpoint', half);
    assert.equal(plan.shape, 'file');
    assert.equal(plan.files.length, 1);
    const { tensors, metadata } = plan.files[0]!;
    assert.deepEqual(shapes(tensors), Object.fromEntries(Object.entries(m.original).map(([k, e]) => [k, e.shape])));
    assert.equal(Object.keys(tensors).length, 1130);
    assert.deepEqual(new Set(Object.values(tensors).map((t) => t.dtype)), new Set([half ? 'F16' : 'F32']));
    const params = m.counts.unet.parameters + m.counts.vae.parameters + m.counts.text_encoder.parameters;
    assert.equal(plan.bytes, params * (half ? 2 : 4));
    assert.equal(metadata.format, 'pt');
  });
}

test("diffusers: diffusers' keys and shapes per component, SD 1.5's configs", async () => {
  const plan = await planExport(sd15(), lora, 'diffusers', false);
  assert.equal(plan.shape, 'folder');
  const files = Object.fromEntries(plan.files.map((f) => [f.path, shapes(f.tensors)]));
  const want = (c: Component) => Object.fromEntries(Object.entries(m.diffusers[c]).map(([k, e]) => [k, e.shape]));
  assert.deepEqual(files, {
    'unet/diffusion_pytorch_model.safetensors': want('unet'),
    'vae/diffusion_pytorch_model.safetensors': want('vae'),
    'text_encoder/model.safetensors': want('text_encoder'),
  });
  assert.deepEqual(parseUNetConfig(plan.json['unet/config.json']!, 'export', 'epsilon'), parseUNetConfig(m.configs.unet, 'sd15', 'epsilon'));
  assert.deepEqual(parseVaeConfig(plan.json['vae/config.json']!, 'export'), parseVaeConfig(m.configs.vae, 'sd15'));
  assert.deepEqual(parseClipTextConfig(plan.json['text_encoder/config.json']!, 'export'), parseClipTextConfig(m.configs.text_encoder, 'sd15'));
  for (const f of ['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/tokenizer_config.json']) assert.ok(plan.json[f], f);
  assert.deepEqual(plan.copies.map((c) => c.to), ['tokenizer']);
});

test('a LoRA of another size is refused while planning, by module name', async () => {
  const wrong = { ...lora, modules: [module('unet', 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q', 640, 640)] };
  await assert.rejects(planExport(sd15(), wrong, 'checkpoint', false), /lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q \(down \[1, 640\], up \[640, 1\]\) does not fit down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn1\.to_q\.weight \[320, 320\]/);
});
