// The single-file ↔ diffusers rename table against the SD 1.5 manifest that diffusers' own converter
// produced (fixtures/sd15-keys.json): every key both ways, and the reshaped VAE attention weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Sd1KeyMap, keymapShapeOf, isVaeAttentionProjection, isIgnorableOriginalKey, type Component } from '../../sidecar/weights/sd1-keymap';
import { parseUNetConfig, parseVaeConfig } from '../../sidecar/models/configs';

interface Manifest {
  configs: { unet: Record<string, never>; vae: Record<string, never> };
  mapping: Record<Component, Record<string, string>>;
  original: Record<string, { shape: number[] }>;
  reshaped: Record<string, { diffusers: string; diffusers_shape: number[]; original_shape: number[] }>;
  original_optional_extra_keys: { schedule_buffers: Record<string, unknown>; text_position_ids: Record<string, unknown> };
}
const m = JSON.parse(readFileSync(new URL('../../fixtures/sd15-keys.json', import.meta.url), 'utf8')) as Manifest;
const km = new Sd1KeyMap(keymapShapeOf(parseUNetConfig(m.configs.unet, 'sd15 unet'), parseVaeConfig(m.configs.vae, 'sd15 vae')));

for (const component of ['unet', 'vae', 'text_encoder'] as Component[]) {
  test(`${component}: every diffusers key maps to the converter's original key and back`, () => {
    const entries = Object.entries(m.mapping[component]);
    assert.ok(entries.length > 100);
    for (const [diffusers, original] of entries) {
      assert.equal(km.toOriginal(component, diffusers), original, `toOriginal(${diffusers})`);
      assert.deepEqual(km.toDiffusers(original), { component, key: diffusers }, `toDiffusers(${original})`);
      assert.ok(original in m.original, `${original} is in the manifest`);
    }
  });
}

test('the mapping covers every original key exactly once', () => {
  const seen = new Set<string>();
  for (const key of Object.keys(m.original)) {
    const d = km.toDiffusers(key);
    assert.ok(d, `no rule for ${key}`);
    const id = `${d.component}:${d.key}`;
    assert.ok(!seen.has(id), `two original keys map to ${id}`);
    seen.add(id);
  }
});

test('VAE attention projections are exactly the reshaped keys', () => {
  const reshapedDiffusers = new Set(Object.values(m.reshaped).map((r) => r.diffusers));
  for (const key of Object.keys(m.mapping.vae)) assert.equal(isVaeAttentionProjection('vae', key), reshapedDiffusers.has(key), key);
  for (const [orig, r] of Object.entries(m.reshaped)) {
    assert.deepEqual(m.original[orig]!.shape, r.original_shape);
    assert.deepEqual(r.original_shape, [...r.diffusers_shape, 1, 1]);
  }
});

test('extra keys of original checkpoints are ignorable, network keys are not', () => {
  for (const k of Object.keys(m.original_optional_extra_keys.schedule_buffers)) assert.ok(isIgnorableOriginalKey(k), k);
  for (const k of Object.keys(m.original_optional_extra_keys.text_position_ids)) assert.ok(isIgnorableOriginalKey(k), k);
  assert.ok(isIgnorableOriginalKey('model_ema.diffusion_modelinput_blocks00weight'));
  assert.ok(!isIgnorableOriginalKey('model.diffusion_model.input_blocks.0.0.weight'));
});
