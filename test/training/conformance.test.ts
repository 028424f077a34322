// LoRA training against the diffusers/peft/torch reference run (fixtures/tiny-sd, case
// lora_dreambooth_step): predictions, losses, gradients and weights after two AdamW steps, and the
// clipped variant, through the real training-step graph. A second run with a wrong learning rate
// must fail (the weight checks can fail).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parsePythonJson } from '../conformance/cases/context';
import { type LoraTrainCase, runLoraTrainCase } from '../conformance/cases/lora-train';

const DIR = 'fixtures/tiny-sd';
const cacheDir = join(tmpdir(), 'dreambooth-test-onnx');

async function loraCase(): Promise<LoraTrainCase> {
  const index = parsePythonJson(await readFile(join(DIR, 'index.json'), 'utf8')) as { cases: { kind: string }[] };
  return index.cases.find((c) => c.kind === 'lora_train') as unknown as LoraTrainCase;
}

test('LoRA training reproduces the reference: predictions, losses, gradients, weights after 2 steps, clipped step', async () => {
  const r = await runLoraTrainCase(DIR, await loraCase(), { cacheDir });
  assert.equal(r.status, 'pass', JSON.stringify(r, null, 1));
  if (!('checks' in r)) return;
  const what = r.checks.map((c) => c.what.split(' ')[0]);
  for (const k of ['model_pred_base', 'model_pred_step1', 'loss_step1.total', 'grads_step1', 'weights_after_step1', 'model_pred_step2', 'loss_step2.total', 'grads_step2', 'weights_after_step2', 'clipped.grad_norm', 'weights_after_step1_clipped']) {
    assert.ok(what.includes(k), `check ${k} is missing`);
  }
});

test('a wrong learning rate fails the weight checks', async () => {
  const c = await loraCase();
  const wrong: LoraTrainCase = { ...c, optimizer: { ...c.optimizer, lr: c.optimizer.lr * 1.5 }, clipped_variant: undefined };
  const r = await runLoraTrainCase(DIR, wrong, { cacheDir });
  assert.equal(r.status, 'fail');
  if (!('checks' in r)) return;
  const failed = r.checks.filter((k) => k.err > k.tol).map((k) => k.what.split(' ')[0]);
  assert.ok(failed.includes('weights_after_step1'), `failed: ${failed.join(', ')}`);
});
