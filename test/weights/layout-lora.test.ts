// kohya LoRA names → diffusers keys, and merging: W' = W + multiplier · (alpha/rank) · up·down,
// checked against a float64 computation; LoRAs that do not fit the model are refused by module name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { openCheckpoint } from '../../sidecar/weights/checkpoint';
import { readKohyaLora } from '../../sidecar/weights/kohya-lora';
import { kohyaTargets } from '../../sidecar/weights/sd1-keymap';
import { mergeLora } from '../../sidecar/weights/lora-merge';
import { readSafetensorsIndex, readTensorF32, writeSafetensors } from '../../sidecar/weights/safetensors';
import { TINY, tempDir } from './layout-helpers';

test('every kohya module of the reference LoRA names one UNet weight', async () => {
  const ck = await openCheckpoint(TINY);
  const targets = kohyaTargets('unet', ck.weights.unet.tensors.keys());
  const index = JSON.parse(readFileSync(join(TINY, 'index.json'), 'utf8').replace(/-Infinity/g, 'null')) as { cases: { kind: string; lora_keys?: string[] }[] };
  const keys = index.cases.find((c) => c.kind === 'lora_train')!.lora_keys!;
  const modules = new Set(keys.map((k) => k.split('.')[0]!));
  assert.equal(modules.size, 48);
  for (const m of modules) assert.ok(targets.get(m), `${m} has no target`);
  assert.equal(targets.get('lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_out_0'), 'mid_block.attentions.0.transformer_blocks.0.attn2.to_out.0.weight');
  const te = kohyaTargets('text_encoder', ck.weights.text_encoder.tensors.keys());
  // kohya keeps transformers' text_model level (A1111: lora_te_text_model_encoder_layers_(\d+)_(.+); diffusers' converter).
  assert.equal(te.get('lora_te_text_model_encoder_layers_0_self_attn_q_proj'), 'text_model.encoder.layers.0.self_attn.q_proj.weight');
  assert.equal(te.get('lora_te_encoder_layers_0_self_attn_q_proj'), undefined);
});

test('merge equals W + multiplier * alpha/rank * up @ down (float64 reference)', async () => {
  const ck = await openCheckpoint(TINY);
  const key = 'down_blocks.0.attentions.0.proj_in.weight'; // a 1x1 conv [32, 32, 1, 1]
  const rank = 2;
  const down = Float32Array.from({ length: rank * 32 }, (_, i) => Math.sin(i) / 4);
  const up = Float32Array.from({ length: 32 * rank }, (_, i) => Math.cos(i) / 4);
  const file = join(tempDir('lora'), 'l.safetensors');
  await writeSafetensors(file, {
    'lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight': { dtype: 'F32', shape: [rank, 32, 1, 1], data: down },
    'lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight': { dtype: 'F32', shape: [32, rank, 1, 1], data: up },
    'lora_unet_down_blocks_0_attentions_0_proj_in.alpha': { dtype: 'F32', shape: [], data: Float32Array.of(1) },
  });
  const merged = await mergeLora(ck.weights.unet, await readKohyaLora(file), 0.8, file);
  assert.deepEqual([...merged.keys()], [key]);
  const w = (await readTensorF32(await readSafetensorsIndex(join(TINY, 'unet/diffusion_pytorch_model.safetensors')), key)).data;
  let err = 0;
  for (let o = 0; o < 32; o++)
    for (let i = 0; i < 32; i++) {
      let d = 0;
      for (let r = 0; r < rank; r++) d += up[o * rank + r]! * down[r * 32 + i]!;
      err = Math.max(err, Math.abs(merged.get(key)![o * 32 + i]! - (w[o * 32 + i]! + 0.8 * 0.5 * d)));
    }
  assert.ok(err < 1e-6, `max error ${err}`);
});

test('a LoRA for another model is refused by module name', async () => {
  const ck = await openCheckpoint(TINY);
  const file = join(tempDir('lora'), 'sd15.safetensors');
  await writeSafetensors(file, {
    'lora_unet_down_blocks_2_attentions_0_proj_in.lora_down.weight': { dtype: 'F32', shape: [1, 32], data: new Float32Array(32) },
    'lora_unet_down_blocks_2_attentions_0_proj_in.lora_up.weight': { dtype: 'F32', shape: [32, 1], data: new Float32Array(32) },
  });
  await assert.rejects(mergeLora(ck.weights.unet, await readKohyaLora(file), 1, file), /1 LoRA module\(s\) match no unet weight of this model: lora_unet_down_blocks_2_attentions_0_proj_in/);
  const wrong = join(tempDir('lora'), 'wrong.safetensors');
  await writeSafetensors(wrong, {
    'lora_unet_conv_in.lora_down.weight': { dtype: 'F32', shape: [1, 5, 3, 3], data: new Float32Array(45) },
    'lora_unet_conv_in.lora_up.weight': { dtype: 'F32', shape: [32, 1, 1, 1], data: new Float32Array(32) },
  });
  await assert.rejects(mergeLora(ck.weights.unet, await readKohyaLora(wrong), 1, wrong), /lora_unet_conv_in \(down \[1, 5, 3, 3\], up \[32, 1, 1, 1\]\) does not fit conv_in\.weight \[32, 4, 3, 3\]/);
  await assert.rejects(readKohyaLora(join(TINY, 'cases/unet.safetensors')), /not a kohya LoRA file/);
});
