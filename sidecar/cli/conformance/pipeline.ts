// Conformance of the whole txt2img pipeline: prompt embeddings, the latents after every step, the final
// latents, the raw decoder output and the [0, 1] image, for the reference's scheduler, prompts, guidance
// and initial latents. Tolerance: the case's fp64 hint for the latents; the decoded image is compared
// with the same budget scaled by 1/scaling_factor (the decoder sees latents / scaling_factor).
import { createScheduler, type SchedulerConfig } from '../../schedulers';
import { denoise } from '../../pipeline/denoise';
import { encodePrompts } from '../../pipeline/prompt';
import type { CaseHandler } from './context';
import { type Check, hintTolerance, maxAbsDiff, verdict } from './compare';
import { samplerOf } from './schedulers';

export const pipeline: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const hint = spec.fp64_max_abs_diff_latents;
  if (typeof hint !== 'number') throw new Error('pipeline case has no fp64_max_abs_diff_latents hint');
  const teHint = ctx.hintOf('text_encoder');
  const tol = hintTolerance(hint);
  const model = await ctx.model();
  const cfg = spec.scheduler_resolved_config as SchedulerConfig;
  const scheduler = createScheduler(samplerOf(String(cfg._class_name), cfg), cfg);
  const prompts = spec.prompt as string[];
  const negatives = (spec.negative_prompt as string[] | null) ?? prompts.map(() => '');
  if (prompts.length !== 1) throw new Error(`pipeline case with ${prompts.length} prompts; only one is supported`);
  const emb = await encodePrompts(model, prompts[0]!, negatives[0]!);
  const init = await ctx.tensor(file, 'latents_init');
  const [, , height, width] = init.shape as [number, number, number, number];
  const steps: Float32Array[] = [];
  const latents = await denoise({
    model,
    scheduler,
    steps: spec.num_inference_steps as number,
    guidance: spec.guidance_scale as number,
    cond: emb.cond,
    uncond: emb.uncond,
    initial: init.data,
    height,
    width,
    onStep: (_i, _n, l) => steps.push(l),
  });
  const checks: Check[] = [];
  if (teHint !== undefined) {
    checks.push({ what: 'prompt_embeds', err: maxAbsDiff(emb.cond, (await ctx.tensor(file, 'prompt_embeds')).data, 'prompt_embeds'), tol: hintTolerance(teHint) });
    checks.push({ what: 'negative_prompt_embeds', err: maxAbsDiff(emb.uncond, (await ctx.tensor(file, 'negative_prompt_embeds')).data, 'negative_prompt_embeds'), tol: hintTolerance(teHint) });
  }
  const stepRef = await ctx.tensor(file, 'step_latents');
  const n = latents.length;
  steps.forEach((l, i) => checks.push({ what: `step_latents[${i}]`, err: maxAbsDiff(l, stepRef.data.subarray(i * n, (i + 1) * n), 'step_latents'), tol }));
  checks.push({ what: 'latents_final', err: maxAbsDiff(latents, (await ctx.tensor(file, 'latents_final')).data, 'latents_final'), tol });
  const sf = model.checkpoint.vae.scaling_factor;
  const decoded = await model.vaeDecode(latents, { batch: 1, height, width }, 1 / sf);
  checks.push({ what: 'decoded_raw', err: maxAbsDiff(decoded, (await ctx.tensor(file, 'decoded_raw')).data, 'decoded_raw'), tol: tol / sf });
  const H = model.vaeScale * height;
  const W = model.vaeScale * width;
  const image = new Float32Array(H * W * 3);
  for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) image[p * 3 + c] = Math.min(1, Math.max(0, decoded[c * H * W + p]! / 2 + 0.5));
  checks.push({ what: 'image', err: maxAbsDiff(image, (await ctx.tensor(file, 'image')).data, 'image'), tol: tol / sf / 2 });
  const final = checks.find((c) => c.what === 'latents_final')!;
  return verdict(checks, `${steps.length} steps; latents_final max_err ${final.err.toExponential(2)} tol ${final.tol.toExponential(2)}`);
};
