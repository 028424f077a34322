// What the gallery's pickers offer. Models: the concept file's model, the `defaultModel` setting,
// the models in the Hugging Face cache (listed by sidecar/hub/cache.ts, the one reader of its
// layout) and folders or files the user chose. LoRAs: none, the run's exports (the concept file's
// OUTPUT/exports/*.safetensors) and files the user chose. No `vscode` import.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConcept } from '../../language/load';
import { exportKindOf, runLayout, trainedResult } from '../../language/resolve';
import { defaultCacheDir, listCachedModels } from '../../sidecar/hub/cache';
import type { Choice } from '../../protocol/webview';
import { shortName } from './pngSettings';

/** What a concept file contributes to the gallery; empty when there is none or it has errors. */
export interface ConceptContext {
  conceptFile?: string;
  model?: string;
  /** OUTPUT/exports of its run. */
  exports?: string;
  /** The LoRA its training exported (the Generate code lens uses it too), when it exists. */
  exportedLora?: string;
  /** A full run's merged checkpoint, when it exists: the model to preselect. */
  trainedModel?: string;
}

export async function conceptContext(conceptFile: string | undefined): Promise<ConceptContext> {
  if (!conceptFile) return {};
  try {
    const { concept } = loadConcept(conceptFile);
    const trained = trainedResult(concept, conceptFile);
    return {
      conceptFile,
      model: concept.model,
      exports: runLayout(concept.output).exports,
      exportedLora: trained && 'lora' in trained ? trained.lora : undefined,
      trainedModel: trained && 'model' in trained ? trained.model : undefined,
    };
  } catch {
    return { conceptFile }; // errors show in the editor; the gallery works without the file's settings
  }
}

function dedupe(choices: Choice[]): Choice[] {
  const seen = new Set<string>();
  return choices.filter((c) => !seen.has(c.value) && !!seen.add(c.value));
}

export async function modelChoices(concept: ConceptContext, defaultModel: string, chosen: readonly string[], cacheDir = defaultCacheDir()): Promise<Choice[]> {
  const label = (value: string) => shortName(value) || value;
  return dedupe([
    ...(concept.trainedModel ? [{ value: concept.trainedModel, label: label(concept.trainedModel), detail: "this run's trained model" }] : []),
    ...(concept.model ? [{ value: concept.model, label: label(concept.model), detail: 'concept file' }] : []),
    { value: defaultModel, label: label(defaultModel), detail: 'setting dreambooth.defaultModel' },
    ...chosen.map((value) => ({ value, label: label(value), detail: 'chosen' })),
    ...(await listCachedModels(cacheDir)).map((value) => ({ value, label: value, detail: 'Hugging Face cache' })),
  ]);
}

export async function loraChoices(concept: ConceptContext, chosen: readonly string[]): Promise<Choice[]> {
  const exported = concept.exports
    ? (await readdir(concept.exports).catch(() => [] as string[])).filter((n) => exportKindOf(n) === 'lora').sort()
    : [];
  return dedupe([
    { value: '', label: 'None', detail: 'the model alone' },
    ...exported.map((n) => ({ value: join(concept.exports!, n), label: shortName(n), detail: "this run's exports" })),
    ...chosen.map((value) => ({ value, label: shortName(value), detail: 'chosen file' })),
  ]);
}
