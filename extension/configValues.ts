// Settings, parsed from untrusted values (settings.json is hand-edited) into one typed Config with a
// fallback for every field. No `vscode` import: the parser is unit-tested with plain getters.
import { PROVIDERS, type ProviderName } from '../protocol/vocabulary';

export const CONFIG_SECTION = 'dreambooth';

export interface Config {
  /** Preferred ONNX Runtime providers, in order; the sidecar uses the first that works. */
  executionProviders: ProviderName[];
  /** CPU threads for ONNX Runtime; 0 lets it decide. */
  sidecarThreads: number;
  /** Base model for the gallery: Hub repo id, diffusers folder or .safetensors/.ckpt file. */
  defaultModel: string;
  /** Where the gallery writes images; empty means `<workspace>/runs/gallery`. */
  galleryOutputFolder: string;
}

export const DEFAULTS: Config = {
  executionProviders: ['cuda', 'webgpu', 'cpu'],
  sidecarThreads: 0,
  defaultModel: 'stable-diffusion-v1-5/stable-diffusion-v1-5',
  galleryOutputFolder: '',
};

/** Settings (relative to the section) whose change needs a sidecar restart to take effect. */
export const RESTART_SETTINGS = ['executionProviders', 'sidecar.threads'] as const;

export type Getter = (key: string) => unknown;

function providers(v: unknown): ProviderName[] {
  if (!Array.isArray(v)) return DEFAULTS.executionProviders;
  const known = v.filter((p): p is ProviderName => (PROVIDERS as readonly unknown[]).includes(p));
  const unique = [...new Set(known)];
  return unique.length ? unique : DEFAULTS.executionProviders;
}

function threads(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 256 ? v : DEFAULTS.sidecarThreads;
}

function text(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v.trim() || fallback : fallback;
}

export function parseConfig(get: Getter): Config {
  return {
    executionProviders: providers(get('executionProviders')),
    sidecarThreads: threads(get('sidecar.threads')),
    defaultModel: text(get('defaultModel'), DEFAULTS.defaultModel),
    galleryOutputFolder: text(get('gallery.outputFolder'), DEFAULTS.galleryOutputFolder),
  };
}
