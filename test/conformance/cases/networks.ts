// Conformance of the three networks: text encoder, UNet (any timestep, with intermediates), VAE
// encode and decode, each against the reference outputs of its case.
import { type CaseHandler, keyOf } from './context';
import { type Check, hintTolerance, maxAbsDiff, verdict } from './compare';

function hint(spec: Record<string, unknown>, name: string): number {
  const h = spec.fp64_max_abs_diff;
  if (typeof h !== 'number') throw new Error(`case ${name} has no fp64_max_abs_diff hint`);
  return h;
}

export const textEncoder: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const tol = hintTolerance(hint(spec, spec.name));
  const ids = await ctx.tensor(file, keyOf((spec.inputs as Record<string, string>).input_ids));
  const [batch, length] = ids.shape as [number, number];
  const rows = Array.from({ length: batch }, (_, b) => Array.from(ids.data.subarray(b * length, (b + 1) * length)));
  const model = await ctx.model();
  const out = await model.encodeText(rows, { hiddenStates: true });
  const outputs = spec.outputs as Record<string, string>;
  const checks: Check[] = [];
  for (const [name, desc] of Object.entries(outputs)) {
    const ref = await ctx.tensorFor(file, name, desc);
    let got = out[name];
    if (name === 'pooler_output') got = pooled(out.last_hidden_state!, rows, model.checkpoint.textEncoder.eos_token_id);
    if (!got) throw new Error(`no output "${name}" from the text encoder`);
    checks.push({ what: name, err: maxAbsDiff(got, ref.data, name), tol });
  }
  return verdict(checks);
};

/**
 * transformers' pooler: the hidden state at the end-of-text token. For configs with eos_token_id 2 (SD's
 * CLIP, a legacy value) transformers takes the position of the largest id, which is <|endoftext|>.
 */
export function pooled(last: Float32Array, rows: number[][], eosTokenId: number): Float32Array {
  const L = rows[0]!.length;
  const H = last.length / (rows.length * L);
  const out = new Float32Array(rows.length * H);
  rows.forEach((ids, b) => {
    const pos = eosTokenId === 2 ? ids.indexOf(Math.max(...ids)) : ids.indexOf(eosTokenId);
    out.set(last.subarray((b * L + pos) * H, (b * L + pos + 1) * H), b * H);
  });
  return out;
}

export const unet: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const tol = hintTolerance(hint(spec, spec.name));
  const inputs = spec.inputs as Record<string, unknown>;
  const sample = await ctx.tensor(file, keyOf(inputs.sample));
  const context = await ctx.tensor(file, keyOf(inputs.encoder_hidden_states));
  const [batch, , height, width] = sample.shape as [number, number, number, number];
  const t = inputs.timestep;
  const timesteps = Array.isArray(t) ? (t as number[]) : Array(batch).fill(t as number);
  const intermediates = Array.isArray(spec.intermediates) ? (spec.intermediates as string[]) : [];
  const model = await ctx.model();
  const out = await model.unet(sample.data, timesteps, context.data, { batch, height, width }, { intermediates: intermediates.length > 0 });
  const ref = await ctx.tensor(file, keyOf((spec.outputs as Record<string, string>).noise_pred));
  const checks: Check[] = [{ what: 'noise_pred', err: maxAbsDiff(out.noise_pred!, ref.data, 'noise_pred'), tol }];
  // Intermediates (diffusers hook outputs) are reported to locate a failure; they do not decide it.
  const notes: string[] = [];
  for (const key of intermediates) {
    const local = key.slice(key.indexOf('intermediate.'));
    const got = out[local];
    if (!got) continue;
    notes.push(`${local.slice('intermediate.'.length)} ${maxAbsDiff(got, (await ctx.tensor(file, key)).data, key).toExponential(2)}`);
  }
  return verdict(checks, notes.length ? `intermediates: ${notes.join(', ')}` : undefined);
};

export const vaeEncode: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const tol = hintTolerance(hint(spec, spec.name));
  const image = await ctx.tensor(file, keyOf((spec.inputs as Record<string, string>).image));
  const [batch, , height, width] = image.shape as [number, number, number, number];
  const out = await (await ctx.model()).vaeEncode(image.data, { batch, height, width });
  const outputs = spec.outputs as Record<string, string>;
  const noise = await ctx.tensor(file, keyOf(outputs.sample_noise));
  // sample = mean + std · noise (DiagonalGaussianDistribution.sample with the recorded noise)
  const sample = out.mean!.map((m, i) => m + out.std![i]! * noise.data[i]!);
  const got: Record<string, Float32Array> = { ...out, sample };
  const checks: Check[] = [];
  for (const name of ['mean', 'std', 'logvar', 'sample']) {
    if (!outputs[name]) continue;
    const ref = await ctx.tensor(file, keyOf(outputs[name]));
    checks.push({ what: name, err: maxAbsDiff(got[name]!, ref.data, name), tol });
  }
  return verdict(checks);
};

export const vaeDecode: CaseHandler = async (spec, ctx) => {
  const file = spec.file!;
  const tol = hintTolerance(hint(spec, spec.name));
  const latents = await ctx.tensor(file, keyOf((spec.inputs as Record<string, string>).latents));
  const [batch, , height, width] = latents.shape as [number, number, number, number];
  const got = await (await ctx.model()).vaeDecode(latents.data, { batch, height, width });
  const ref = await ctx.tensor(file, keyOf((spec.outputs as Record<string, string>).image));
  return verdict([{ what: 'image', err: maxAbsDiff(got, ref.data, 'image'), tol }]);
};
