// What makes a run the run it is: the settings a resumed run must share with the one that saved its
// state. Changing any of these mid-run would continue other weights (another model, rank, method) or
// another problem (another resolution) — refused, naming each; the rest (steps, learning rate,
// schedule, save_every, sample prompt) may change between sessions.
import type { ResolvedConcept } from '../../language/resolve';

export interface RunIdentity {
  model: string;
  method: string;
  train_text_encoder: boolean;
  resolution: number;
  lora_rank?: number;
  lora_alpha?: number;
}

export function runIdentity(concept: ResolvedConcept, modelPath: string): RunIdentity {
  const t = concept.train;
  const lora = t.method === 'lora' ? { lora_rank: t.loraRank, lora_alpha: t.loraAlpha } : {};
  return { model: modelPath, method: t.method, train_text_encoder: t.trainTextEncoder, resolution: t.resolution, ...lora };
}

/** Each setting that differs, as `key saved → now` in the concept language's words. */
export function identityChanges(saved: Partial<RunIdentity>, now: RunIdentity): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(now)] as (keyof RunIdentity)[]);
  const show = (v: unknown) => (v === undefined ? '(none)' : typeof v === 'string' ? JSON.stringify(v) : String(v));
  return [...keys].filter((k) => saved[k] !== now[k]).map((k) => `${k} ${show(saved[k])} → ${show(now[k])}`);
}
