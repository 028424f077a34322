// The LoRA training case: the training run itself is checked by the trainer's own conformance runner
// (test/conformance/cases/lora-train.ts: predictions, losses, gradients, weights after two AdamW steps);
// added here, the inference half as generate uses it: the kohya LoRA files before and after the first
// step merged into the UNet weights must give the reference predictions (model_pred_step1/step2).
import { join } from 'node:path';
import { type LoraTrainCase, runLoraTrainCase } from './lora-train';
import type { CaseHandler } from './context';
import { keyOf } from './context';
import { type Check, hintTolerance, maxAbsDiff, verdict } from './compare';

export const loraTrain: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const hint = ctx.hintOf('unet');
  if (hint === undefined) throw new Error('no unet case with an fp64_max_abs_diff hint to take the tolerance from');
  const tol = hintTolerance(hint);
  const ins = spec.inputs as Record<string, string>;
  const outs = spec.outputs as Record<string, string>;
  const noisy = await ctx.tensor(file, keyOf(ins.noisy_latents));
  const context = await ctx.tensor(file, keyOf(ins.encoder_hidden_states));
  const timesteps = Array.from((await ctx.tensor(file, keyOf(ins.timesteps))).data);
  const [batch, , height, width] = noisy.shape as [number, number, number, number];
  const merged: [string, string | undefined][] = [
    ['model_pred_step1', ins.lora_weights ? keyOf(ins.lora_weights) : undefined],
    ['model_pred_step2', outs.weights_after_step1 ? keyOf(outs.weights_after_step1) : undefined],
  ];
  const checks: Check[] = [];
  for (const [output, lora] of merged) {
    if (!outs[output] || !lora) continue;
    const model = await ctx.openModel({ lora: { path: join(ctx.dir, lora) } });
    try {
      const got = (await model.unet(noisy.data, timesteps, context.data, { batch, height, width })).noise_pred!;
      checks.push({ what: `${output} (LoRA merged as in generate)`, err: maxAbsDiff(got, (await ctx.tensor(file, output)).data, output), tol });
    } finally {
      await model.close();
    }
  }
  const training = await runLoraTrainCase(ctx.dir, spec as unknown as LoraTrainCase, { runtime: ctx.runtime });
  if (training.status === 'skip') return checks.some((c) => c.err > c.tol) ? verdict(checks) : training;
  return verdict([...training.checks, ...checks], training.note);
};
