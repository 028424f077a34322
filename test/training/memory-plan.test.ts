// Planning a training step's memory before its session is built: the budget (free memory or
// DREAMBOOTH_MEMORY_LIMIT), the estimate at SD 1.5 size, the choice of recomputation, and a refusal
// that says what would fit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseUNetConfig } from '../../sidecar/models/configs';
import { memoryBudget, parseBytes } from '../../sidecar/runtime/memory';
import { ATTENTION_TARGETS } from '../../sidecar/training/lora';
import { estimateTrainStep, planTrainMemory, TrainMemoryError, type StepShape } from '../../sidecar/training/memory-plan';

const GiB = 2 ** 30;
const MANIFEST = join(__dirname, '..', '..', 'fixtures', 'sd15-keys.json');
const sd15 = () => parseUNetConfig((JSON.parse(readFileSync(MANIFEST, 'utf8')) as { configs: { unet: never } }).configs.unet, MANIFEST);
const shape = (side: number): StepShape => ({ instanceBatch: 1, classBatch: 1, height: side, width: side, lora: { rank: 4, alpha: 4, targets: ATTENTION_TARGETS }, priorLossWeight: 1, adam: { maxGradNorm: 1 } });
const SD15_UNET_F16 = 1.72e9; // bytes of SD 1.5's UNet in float16
const BASE = 0.4 * GiB;

test('sizes parse like 6G, 4096M, 1.5g; the limit variable wins over free memory; a bad one is an error', () => {
  assert.equal(parseBytes('6G'), 6 * GiB);
  assert.equal(parseBytes('4096M'), 4 * GiB);
  assert.equal(parseBytes('1.5g'), 1.5 * GiB);
  assert.equal(parseBytes('123'), 123);
  assert.equal(parseBytes('lots'), undefined);
  assert.deepEqual(memoryBudget({ DREAMBOOTH_MEMORY_LIMIT: '3G' }), { bytes: 3 * GiB, source: 'DREAMBOOTH_MEMORY_LIMIT=3G' });
  assert.throws(() => memoryBudget({ DREAMBOOTH_MEMORY_LIMIT: 'lots' }), /not a size; write it like 6G/);
  assert.ok(memoryBudget({}).bytes > process.memoryUsage().rss, 'free memory plus what this process holds');
});

test('SD 1.5 at 512²: recomputing every block is estimated below recomputing ResNets only, both near the measured 4.0 and 5.8 GiB', () => {
  const blocks = estimateTrainStep(sd15(), shape(64), 'blocks', SD15_UNET_F16, BASE);
  const resnets = estimateTrainStep(sd15(), shape(64), 'resnets', SD15_UNET_F16, BASE);
  assert.ok(blocks < resnets, `${blocks} < ${resnets}`);
  assert.ok(blocks > 4.0 * GiB && blocks < 4.8 * GiB, `blocks ${blocks / GiB}`);
  assert.ok(resnets > 5.5 * GiB && resnets < 6.5 * GiB, `resnets ${resnets / GiB}`);
});

test('the plan takes the default when it fits and refuses, naming a resolution that fits, when nothing does', () => {
  const ok = planTrainMemory(sd15(), shape(64), SD15_UNET_F16, { bytes: 16 * GiB, source: 'test' }, BASE);
  assert.equal(ok.checkpointing, 'blocks');
  assert.throws(
    () => planTrainMemory(sd15(), shape(64), SD15_UNET_F16, { bytes: 4.2 * GiB, source: 'DREAMBOOTH_MEMORY_LIMIT=4.2G' }, BASE),
    (e: Error) => {
      assert.ok(e instanceof TrainMemoryError);
      assert.match(e.message, /training at 512×512 with 2 images per step needs about \d\.\d GiB, but 4\.2 GiB is available \(DREAMBOOTH_MEMORY_LIMIT=4\.2G\)/);
      const fit = /What would fit: resolution (\d+) \(about (\d\.\d) GiB\)/.exec(e.message);
      assert.ok(fit && Number(fit[1]) < 512 && Number(fit[2]) <= 4.2, e.message);
      assert.match(e.message, /prior preservation off, num_class_images 0 \(about \d\.\d GiB\)/);
      assert.match(e.message, /a higher DREAMBOOTH_MEMORY_LIMIT\.$/);
      return true;
    },
  );
});

test('full fine-tuning at SD 1.5 size counts every weight with its two moments, and a refusal suggests method lora', () => {
  const full = { ...shape(64), unet: 'full' as const, lora: undefined };
  const lora = estimateTrainStep(sd15(), shape(64), 'blocks', SD15_UNET_F16, BASE);
  const bytes = estimateTrainStep(sd15(), full, 'blocks', 0, BASE);
  const params = 859_520_964; // SD 1.5 UNet parameters (fixtures/sd15-keys.json)
  assert.ok(bytes > lora + 3 * 4 * params * 0.9, `full ${(bytes / GiB).toFixed(1)} GiB vs lora ${(lora / GiB).toFixed(1)} GiB`);
  assert.throws(() => planTrainMemory(sd15(), full, 0, { bytes: 16 * GiB, source: 'test' }, BASE), (e: Error) => e instanceof TrainMemoryError && /method lora/.test(e.message));
});
