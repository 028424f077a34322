// Conformance of the whole txt2img pipeline: prompt embeddings, the latents after every step, the final
// latents, the raw decoder output and the [0, 1] image, for the reference's scheduler, prompts, guidance
// and initial latents. Tolerance: the case's fp64 hint for the latents; the decoded image is compared
// with the same budget scaled by 1/scaling_factor (the decoder sees latents / scaling_factor).
import { createScheduler, type SchedulerConfig } from '../../../sidecar/schedulers';
import { denoise } from '../../../sidecar/pipeline/denoise';
import { encodePrompts } from '../../../sidecar/pipeline/prompt';
import type { CaseHandler } from './context';
import { type Check, hintTolerance, maxAbsDiff, verdict, worst } from './compare';
import { samplerOf } from './schedulers';

export const pipeline: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const hint = spec.fp64_max_abs_diff_latents;
  if (typeof hint !== 'number') throw new Error('pipeline case has no fp64_max_abs_diff_latents hint');
  const teHint = ctx.hintOf('text_encoder');
  const tol = hintTolerance(hint);
  const model = await ctx.model();
  const cfg = spec.scheduler_resolved_config as SchedulerConfig;
  const prompts = spec.prompt as string[];
  const negatives = (spec.negative_prompt as string[] | null) ?? prompts.map(() => '');
  const init = await ctx.tensor(file, 'latents_init');
  const [batch, , height, width] = init.shape as [number, number, number, number];
  if (batch !== prompts.length) throw new Error(`latents_init has batch ${batch} for ${prompts.length} prompts`);
  const H = model.vaeScale * height;
  const W = model.vaeScale * width;
  const n = init.data.length / batch;
  const refs = {
    cond: (await ctx.tensor(file, 'prompt_embeds')).data,
    uncond: (await ctx.tensor(file, 'negative_prompt_embeds')).data,
    steps: (await ctx.tensor(file, 'step_latents')).data,
    final: (await ctx.tensor(file, 'latents_final')).data,
    decoded: (await ctx.tensor(file, 'decoded_raw')).data,
    image: (await ctx.tensor(file, 'image')).data,
  };
  const checks: Check[] = [];
  const sf = model.checkpoint.vae.scaling_factor;
  let stepCount = 0;
  // Batch items are independent in the reference pipeline, so each prompt runs on its own here.
  for (let b = 0; b < batch; b++) {
    const item = (t: Float32Array, size: number) => t.subarray(b * size, (b + 1) * size);
    const emb = await encodePrompts(model, prompts[b]!, negatives[b]!);
    const steps: Float32Array[] = [];
    const latents = await denoise({
      model,
      scheduler: createScheduler(samplerOf(String(cfg._class_name), cfg), cfg),
      steps: spec.num_inference_steps as number,
      guidance: spec.guidance_scale as number,
      cond: emb.cond,
      uncond: emb.uncond,
      initial: item(init.data, n),
      height,
      width,
      onStep: (_i, _n, l) => steps.push(l),
    });
    stepCount = steps.length;
    if (teHint !== undefined) {
      checks.push({ what: `prompt_embeds[${b}]`, err: maxAbsDiff(emb.cond, item(refs.cond, emb.cond.length), 'prompt_embeds'), tol: hintTolerance(teHint) });
      checks.push({ what: `negative_prompt_embeds[${b}]`, err: maxAbsDiff(emb.uncond, item(refs.uncond, emb.uncond.length), 'negative_prompt_embeds'), tol: hintTolerance(teHint) });
    }
    // step_latents is [steps, B, C, h, w]
    steps.forEach((l, i) => checks.push({ what: `step_latents[${i}][${b}]`, err: maxAbsDiff(l, refs.steps.subarray((i * batch + b) * n, (i * batch + b + 1) * n), 'step_latents'), tol }));
    checks.push({ what: 'latents_final', err: maxAbsDiff(latents, item(refs.final, n), 'latents_final'), tol });
    const decoded = await model.vaeDecode(latents, { batch: 1, height, width }, 1 / sf);
    checks.push({ what: `decoded_raw[${b}]`, err: maxAbsDiff(decoded, item(refs.decoded, decoded.length), 'decoded_raw'), tol: tol / sf });
    const image = new Float32Array(H * W * 3);
    for (let c = 0; c < 3; c++) for (let p = 0; p < H * W; p++) image[p * 3 + c] = Math.min(1, Math.max(0, decoded[c * H * W + p]! / 2 + 0.5));
    checks.push({ what: `image[${b}]`, err: maxAbsDiff(image, item(refs.image, image.length), 'image'), tol: tol / sf / 2 });
  }
  const final = worst(checks.filter((c) => c.what === 'latents_final'))!;
  return verdict(checks, `${stepCount} steps; latents_final max_err ${final.err.toExponential(2)} tol ${final.tol.toExponential(2)}`);
};
