// Learning-rate schedules against diffusers' own (fixtures/lr-schedules.json, made with
// fixtures/make/lr_schedules.py): the rate each optimizer step uses, for every schedule, with and
// without warm-up.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LrSchedulerName } from '../../protocol/vocabulary';
import { LR_SCHEDULERS } from '../../protocol/vocabulary';
import { lrAt } from '../../sidecar/training/lr-schedule';
import { checkConceptText } from '../../language/validate';

const { cases } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'lr-schedules.json'), 'utf8')) as {
  cases: { scheduler: LrSchedulerName; lr: number; warmup: number; steps: number; lrs: number[] }[];
};

test('every schedule the concept language offers has reference values', () => {
  assert.deepEqual([...new Set(cases.map((c) => c.scheduler))].sort(), [...LR_SCHEDULERS].sort());
});

for (const c of cases) {
  test(`${c.scheduler}, warm-up ${c.warmup} of ${c.steps} steps: the reference's rate at every step`, () => {
    c.lrs.forEach((want, step) => {
      const got = lrAt({ scheduler: c.scheduler, lr: c.lr, warmup: c.warmup, steps: c.steps }, step);
      assert.ok(Math.abs(got - want) <= 1e-12 * c.lr, `step ${step}: ${got} vs ${want}`);
    });
  });
}

test('the checker refuses a warm-up as long as the run and notes one that constant ignores', () => {
  const base = (train: string) => `concept zwx {\n  instance_prompt "photo of zwx person"\n  instance_images "./photos"\n}\ntrain {\n${train}\n}\n`;
  const long = checkConceptText(base('  steps 100\n  lr_scheduler cosine\n  lr_warmup_steps 100')).diagnostics.find((d) => d.code === 'lr-warmup');
  assert.equal(long?.severity, 'error');
  assert.match(long.message, /lr_warmup_steps 100 is not fewer than the run's 100 steps/);
  const ignored = checkConceptText(base('  steps 100\n  lr_warmup_steps 10')).diagnostics.find((d) => d.code === 'unused-key');
  assert.match(ignored?.message ?? '', /no effect with lr_scheduler constant/);
  const unknown = checkConceptText(base('  lr_scheduler cosine_annealing')).diagnostics.find((d) => d.severity === 'error');
  assert.match(unknown?.message ?? '', /cosine_annealing/);
});
