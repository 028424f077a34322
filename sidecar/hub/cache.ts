// The standard Hugging Face cache layout, so downloads are shared with diffusers, ComfyUI and
// huggingface-cli:  <cache>/models--owner--name/{blobs/<etag>, snapshots/<commit>/<path> -> ../../blobs/<etag>,
// refs/<revision> (holds the commit hash)}.
import { copyFile, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { writeAtomic } from '../weights/atomic-file';

/** huggingface_hub's rule: HF_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

export function isCommitHash(rev: string): boolean {
  return /^[0-9a-f]{40}$/.test(rev);
}

export class RepoCache {
  readonly root: string;
  constructor(cacheDir: string, repo: string) {
    this.root = join(cacheDir, `models--${repo.replace('/', '--')}`);
  }
  blob(etag: string): string {
    return join(this.root, 'blobs', etag);
  }
  snapshot(commit: string): string {
    return join(this.root, 'snapshots', commit);
  }
  ref(revision: string): string {
    return join(this.root, 'refs', revision);
  }

  /** The commit a revision points to in the cache: itself when it is a hash, else refs/<revision>. */
  async commitOf(revision: string): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    const text = await readFile(this.ref(revision), 'utf8').catch(() => undefined);
    const commit = text?.trim();
    return commit && isCommitHash(commit) ? commit : undefined;
  }

  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    await writeAtomic(this.ref(revision), (tmp) => writeFile(tmp, commit));
  }

  /** True when snapshots/<commit>/<path> resolves to an existing file (a dangling link does not count). */
  async hasFile(commit: string, path: string): Promise<boolean> {
    return stat(join(this.snapshot(commit), path)).then(
      (s) => s.isFile(),
      () => false,
    );
  }

  /** Links snapshots/<commit>/<path> to blobs/<etag> with a relative link, as huggingface_hub does. */
  async link(commit: string, path: string, etag: string): Promise<string> {
    const target = join(this.snapshot(commit), path);
    const rel = relative(dirname(target), this.blob(etag));
    const current = await readlink(target).catch(() => undefined);
    if (current === rel) return target;
    // Made beside it and renamed over it: atomic, so concurrent jobs linking the same path never collide.
    await writeAtomic(target, async (tmp) => {
      try {
        await symlink(rel, tmp);
      } catch (e) {
        // Windows without developer mode cannot make symlinks; huggingface_hub then copies too.
        if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
        await copyFile(this.blob(etag), tmp);
      }
    });
    return target;
  }
}

/**
 * The models a cache holds, as a job names them: "owner/name" for a diffusers pipeline (a snapshot
 * with model_index.json), "owner/name/file.safetensors" for a single-file checkpoint at a snapshot's
 * top level. Reads the revision "main" (else the newest snapshot); a missing cache is empty.
 */
export async function listCachedModels(cacheDir: string): Promise<string[]> {
  const out: string[] = [];
  const dirs = (await readdir(cacheDir).catch(() => [] as string[])).filter((d) => d.startsWith('models--')).sort();
  for (const dir of dirs) {
    const [owner, ...name] = dir.slice('models--'.length).split('--');
    if (!owner || !name.length) continue;
    const repo = `${owner}/${name.join('--')}`;
    const cache = new RepoCache(cacheDir, repo);
    const commit = (await cache.commitOf('main')) ?? (await newestSnapshot(cache));
    if (!commit) continue;
    const files = await readdir(cache.snapshot(commit)).catch(() => [] as string[]);
    if (files.includes('model_index.json')) out.push(repo);
    for (const f of files.filter((f) => f.toLowerCase().endsWith('.safetensors')).sort()) if (await cache.hasFile(commit, f)) out.push(`${repo}/${f}`);
  }
  return out;
}

async function newestSnapshot(cache: RepoCache): Promise<string | undefined> {
  const dir = join(cache.root, 'snapshots');
  const names = (await readdir(dir).catch(() => [] as string[])).filter(isCommitHash);
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(dir, n))).mtimeMs })));
  return dated.sort((a, b) => b.t - a.t)[0]?.n;
}
