// The settings that make a training run what it is: a checkpoint continues only under the same ones
// (the sidecar refuses a resume otherwise, the editor asks before it starts) — what is trained, on
// what, from which data. Tuning may change between sessions: steps, save_every, sample_prompt, the
// learning rate and its schedule, clipping, the seed, the loss options (prior weight, min-SNR, noise
// offset, flips), accumulation and train_text_encoder_steps.
import type { RunSettings } from '../protocol/training-run';
import type { ResolvedConcept } from './resolve';

export function runSettingsOf(c: ResolvedConcept): RunSettings {
  const t = c.train;
  const out: RunSettings = {
    model: c.model,
    method: t.method,
    batch_size: t.batchSize,
    train_text_encoder: t.trainTextEncoder,
    resolution: t.resolution,
    ...(t.method === 'lora' ? { lora_rank: t.loraRank, lora_alpha: t.loraAlpha } : {}),
  };
  for (const k of c.concepts) {
    out[`${k.name}.instance_prompt`] = k.instancePrompt;
    out[`${k.name}.instance_images`] = k.instanceImages;
    out[`${k.name}.class_prompt`] = k.classPrompt;
    out[`${k.name}.num_class_images`] = k.numClassImages;
  }
  return out;
}

/** What differs between a run's recorded settings and the file's, one "key old → new" each. */
export function settingsChanges(recorded: RunSettings, now: RunSettings): string[] {
  const show = (v: RunSettings[string] | undefined) => (v === undefined ? '(not set)' : JSON.stringify(v));
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(now)])];
  return keys.filter((k) => recorded[k] !== now[k]).map((k) => `${k} ${show(recorded[k])} → ${show(now[k])}`);
}
