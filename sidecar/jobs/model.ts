// Which model a job opens: a local path, a Hugging Face Hub id (downloaded into the shared HF cache by
// sidecar/hub), or the bundled world model when none is configured.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundledModel } from '../weights/bundled';
import { ModelLoadError } from '../weights/load-errors';
import { parseHubSpec, resolveModelForJob } from '../hub';
import type { JobContext } from '../context/job-context';

/**
 * The model to open: the given path, a Hugging Face Hub id downloaded into the shared HF cache
 * (sidecar/hub), or the bundled world model (a tiny model that only knows the shape world).
 */
export async function resolveModel(model: string, ctx: JobContext, hfToken?: string): Promise<string> {
  if (!model) {
    const world = bundledModel();
    if (!existsSync(join(world, 'model_index.json'))) throw new ModelLoadError(`no model given, and the bundled world model is not installed (looked for ${world}); pass a model folder or a .safetensors/.ckpt file`);
    ctx.log('warn', `no model configured: using the bundled world model (${world}); it draws 64x64 images of the shape world (world/README.md) and knows nothing else`);
    return world;
  }
  // Hub ids (owner/name[@revision], owner/name/file.safetensors) are fetched by the Hub resolver.
  if (!existsSync(model) && parseHubSpec(model)) return resolveModelForJob(model, ctx, hfToken);
  return resolve(model);
}

