// Which model a job opens: a local path, a Hugging Face Hub id (downloaded into the shared HF cache by
// sidecar/hub), or the bundled tiny model when none is configured.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundledTinyModel } from '../weights/bundled';
import { ModelLoadError } from '../weights/load-errors';
import { parseHubSpec, resolveModelForJob } from '../hub';
import type { JobContext } from '../context/job-context';

/**
 * The model to open: the given path, a Hugging Face Hub id downloaded into the shared HF cache
 * (sidecar/hub), or the bundled tiny model (random weights: its images are noise).
 */
export async function resolveModel(model: string, ctx: JobContext, hfToken?: string): Promise<string> {
  if (!model) {
    const tiny = bundledTinyModel();
    if (!existsSync(join(tiny, 'model_index.json'))) throw new ModelLoadError(`no model given, and the bundled tiny test model is not installed (looked for ${tiny}); pass a model folder or a .safetensors/.ckpt file`);
    ctx.log('warn', `no model configured: using the bundled tiny test model (${tiny}); it has random weights, so its images are noise`);
    return tiny;
  }
  // Hub ids (owner/name[@revision], owner/name/file.safetensors) are fetched by the Hub resolver.
  if (!existsSync(model) && parseHubSpec(model)) return resolveModelForJob(model, ctx, hfToken);
  return resolve(model);
}

