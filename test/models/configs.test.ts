// Config reading: per-block expansion in one place, diffusers' head-count semantics, and errors that
// name the file and print both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClipTextConfig, parseUNetConfig, parseVaeConfig } from '../../sidecar/models/configs';
import type { JsonObject } from '../../sidecar/models/config-check';

const tiny = (c: string, f = 'config.json') => JSON.parse(readFileSync(join(__dirname, '../../fixtures/tiny-sd', c, f), 'utf8')) as JsonObject;

test('tiny-sd configs parse; scalars become per-block lists', () => {
  const u = parseUNetConfig(tiny('unet'), 'unet/config.json');
  assert.deepEqual(u.layers_per_block, [2, 2]);
  assert.deepEqual(u.num_attention_heads, [8, 8]); // attention_head_dim 8 is the head count in SD 1.x configs
  assert.deepEqual(u.cross_attention_dim, [32, 32]);
  assert.deepEqual(u.transformer_layers_per_block, [1, 1]);
  assert.equal(u.prediction_type, 'epsilon');
  assert.equal(parseVaeConfig(tiny('vae'), 'vae').scaling_factor, 0.18215);
  assert.equal(parseClipTextConfig(tiny('text_encoder'), 'te').num_hidden_layers, 5);
});

test('SD 2-style per-block head lists and num_attention_heads precedence', () => {
  const u = parseUNetConfig({ ...tiny('unet'), attention_head_dim: [2, 4] }, 'u');
  assert.deepEqual(u.num_attention_heads, [2, 4]);
  assert.deepEqual(parseUNetConfig({ ...tiny('unet'), num_attention_heads: 4 }, 'u').num_attention_heads, [4, 4]);
});

test('errors name the file and show both sides', () => {
  assert.throws(() => parseUNetConfig({ ...tiny('unet'), down_block_types: ['CrossAttnDownBlock2D'] }, 'x/unet/config.json'), (e: Error) =>
    /x\/unet\/config\.json: "block_out_channels" has 2 entries \(\[32,64\]\) but "down_block_types" has 1 \(\["CrossAttnDownBlock2D"\]\)/.test(e.message),
  );
  assert.throws(() => parseUNetConfig({ ...tiny('unet'), layers_per_block: [1, 2, 3] }, 'u'), /"layers_per_block" must be .* list of 2 .* found \[1,2,3\]/);
  assert.throws(() => parseUNetConfig({ ...tiny('unet'), addition_embed_type: 'text_time' }, 'u'), /"addition_embed_type" is "text_time".*SDXL/);
  assert.throws(() => parseUNetConfig({ ...tiny('unet'), down_block_types: ['CrossAttnDownBlock2D', 'SimpleDown'] }, 'u'), /unknown down block type "SimpleDown"/);
  assert.throws(() => parseUNetConfig({ ...tiny('unet'), norm_num_groups: 24 }, 'u'), /norm_num_groups 24 does not divide .* 32/);
  assert.throws(() => parseVaeConfig({ ...tiny('vae'), latent_channels: 'four' }, 'v'), /"latent_channels" must be a non-negative integer, found "four"/);
});
