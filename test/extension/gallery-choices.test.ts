// The gallery's pickers for a concept file: the LoRA list is this run's LoRA exports (never its merged
// checkpoints, which are models), and a full run's merged checkpoint is offered, first, as the model.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { conceptContext, loraChoices, modelChoices } from '../../extension/gallery/choices';

const dir = mkdtempSync(join(tmpdir(), 'db-choices-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'me.dreambooth');
writeFileSync(file, 'model "runwayml/stable-diffusion-v1-5"\nconcept ohwx {\n  instance_prompt "photo of ohwx person"\n  instance_images "./photos"\n}\n');
mkdirSync(join(dir, 'photos'));
copyFileSync(join(__dirname, '..', '..', 'examples', 'shape-ohwx', 'photos', 'ohwx-01.png'), join(dir, 'photos', 'me.png'));
const exports = join(dir, 'runs', 'exports');
mkdirSync(exports, { recursive: true });

test('LoRA choices: the LoRA exports only; a full run\'s merged checkpoint is the model, offered first', async () => {
  for (const f of ['ohwx.safetensors', 'ohwx-lora-fp16.safetensors', 'ohwx-checkpoint.safetensors', 'ohwx-checkpoint-fp16.safetensors', 'notes.txt']) writeFileSync(join(exports, f), '');
  const ctx = await conceptContext(file);
  assert.equal(ctx.exportedLora, join(exports, 'ohwx.safetensors'));
  assert.equal(ctx.trainedModel, undefined, 'a LoRA run generates with its LoRA on the base model');
  const loras = (await loraChoices(ctx, [])).map((c) => c.value);
  assert.deepEqual(loras, ['', join(exports, 'ohwx-lora-fp16.safetensors'), join(exports, 'ohwx.safetensors')]);

  rmSync(join(exports, 'ohwx.safetensors'));
  const full = await conceptContext(file);
  assert.equal(full.exportedLora, undefined);
  assert.ok(full.trainedModel?.startsWith(join(exports, 'ohwx-checkpoint')), full.trainedModel);
  const models = await modelChoices(full, 'default-model', [], join(dir, 'no-hf-cache'));
  assert.deepEqual(models.slice(0, 2).map((m) => [m.value, m.detail]), [[full.trainedModel, "this run's trained model"], ['runwayml/stable-diffusion-v1-5', 'concept file']]);
});
