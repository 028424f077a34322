// Which files of a diffusers repo an SD 1.x pipeline needs: configs, the tokenizer, and ONE safetensors
// weight set per network, fp16 variant first (half the download; the loader computes in f32 or f16
// anyway). Pickled weights (.bin/.ckpt) are never fetched; safety_checker/ and feature_extractor/ are
// skipped (we do not run them).
import { HubError } from './errors';

const NETWORKS = { unet: 'diffusion_pytorch_model', vae: 'diffusion_pytorch_model', text_encoder: 'model' } as const;
const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json'];
const SKIPPED_FOLDERS = new Set(['safety_checker', 'feature_extractor']);
const PICKLE = /\.(bin|ckpt|pt|pth|pkl)$/;

export interface FileSelection {
  /** Repo paths to download, in order. */
  files: string[];
  /** `*.safetensors.index.json` files among them whose shards (from their weight_map) are needed too. */
  shardIndexes: string[];
}

/** Weight file candidates of one network, best first. */
function weightCandidates(folder: string, base: string): { path: string; sharded: boolean }[] {
  return [`${base}.fp16.safetensors`, `${base}.safetensors`].flatMap((name) => [
    { path: `${folder}/${name}`, sharded: false },
    { path: `${folder}/${name}.index.json`, sharded: true },
  ]);
}

export function selectPipelineFiles(repo: string, available: readonly string[]): FileSelection {
  const have = new Set(available);
  if (!have.has('model_index.json')) {
    const singles = available.filter((f) => f.endsWith('.safetensors') && !f.includes('/'));
    const hint = singles.length ? ` It has single-file checkpoints; name one, e.g. "${repo}/${singles[0]}".` : '';
    throw new HubError(`${repo} is not a diffusers pipeline (no model_index.json).${hint}`);
  }
  const files = ['model_index.json'];
  const shardIndexes: string[] = [];
  for (const f of available) {
    const [folder, name, more] = f.split('/');
    if (more === undefined && name === 'config.json' && !SKIPPED_FOLDERS.has(folder!)) files.push(f);
  }
  if (have.has('scheduler/scheduler_config.json')) files.push('scheduler/scheduler_config.json');
  for (const t of TOKENIZER_FILES) if (have.has(`tokenizer/${t}`)) files.push(`tokenizer/${t}`);
  for (const t of ['vocab.json', 'merges.txt'])
    if (!have.has(`tokenizer/${t}`)) throw new HubError(`${repo} has no tokenizer/${t}; it is not a Stable Diffusion 1.x pipeline`);
  for (const [folder, base] of Object.entries(NETWORKS)) {
    const pick = weightCandidates(folder, base).find((c) => have.has(c.path));
    if (pick) {
      files.push(pick.path);
      if (pick.sharded) shardIndexes.push(pick.path);
      continue;
    }
    const inFolder = available.filter((f) => f.startsWith(`${folder}/`));
    if (!inFolder.length) throw new HubError(`${repo} has no ${folder}/ folder; it is not a Stable Diffusion 1.x pipeline`);
    const pickles = inFolder.filter((f) => PICKLE.test(f));
    if (pickles.length)
      throw new HubError(
        `${repo} has no safetensors weights for ${folder} (only ${pickles.join(', ')}, PyTorch pickles, which are never downloaded or loaded because they can run code). ` +
          'Try another revision or repo that has .safetensors weights, or convert the model and give its local folder.',
      );
    throw new HubError(`${repo} has no weights for ${folder} (expected ${folder}/${base}.safetensors or its fp16 variant)`);
  }
  return { files, shardIndexes };
}

/** The shard files a `*.safetensors.index.json` names, as repo paths beside it. */
export function shardFiles(indexPath: string, indexJson: unknown): string[] {
  const map = (indexJson as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new HubError(`${indexPath}: no "weight_map" object`);
  const folder = indexPath.slice(0, indexPath.lastIndexOf('/') + 1);
  const names = new Set<string>();
  for (const f of Object.values(map)) {
    if (typeof f !== 'string' || !f.endsWith('.safetensors') || /[/\\]/.test(f)) throw new HubError(`${indexPath}: bad shard file name ${JSON.stringify(f)}`);
    names.add(folder + f);
  }
  return [...names];
}

/** A single-file checkpoint named inside a repo must be a .safetensors the repo has. */
export function checkSingleFile(repo: string, file: string, available: readonly string[]): void {
  if (PICKLE.test(file))
    throw new HubError(`${repo}/${file} is a PyTorch pickle; pickles can run code and are never downloaded. Name a .safetensors file of the repo instead.`);
  if (!file.endsWith('.safetensors')) throw new HubError(`${repo}/${file}: not a .safetensors file`);
  if (!available.includes(file)) {
    const others = available.filter((f) => f.endsWith('.safetensors')).slice(0, 5);
    throw new HubError(`${repo} has no file ${file}${others.length ? ` (its .safetensors files include ${others.join(', ')})` : ''}`);
  }
}
