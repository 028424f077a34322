// The staged-model cache: one folder per emitted model (runtime/stage.ts), keyed by a hash of the model
// bytes and the identity of every weight file (device, inode, size, mtime), so a changed model, a
// changed emitter or different options never reuse an entry. Weight files are hard links (no space of
// their own); what an entry owns is its .onnx and any built blob (a merged LoRA). Files derived from
// weights that several entries share (float16 filters in the CPU's blocked layout) are entries of their
// own, `built-…`, hard-linked into the entries that use them and counted once, there. Entries are
// written atomically, touched when used, pruned least-recently-used beyond a size cap, and a corrupt
// one is deleted and rebuilt by the loader (pipeline/components.ts).
//
//   where:  $DREAMBOOTH_CACHE/onnx, else $XDG_CACHE_HOME/dreambooth/onnx or ~/.cache/dreambooth/onnx
//           (%LOCALAPPDATA%\dreambooth\onnx on Windows, ~/Library/Caches/dreambooth/onnx on macOS)
//   cap:    DREAMBOOTH_CACHE_MAX (bytes or 2G-style sizes), default 4 GiB of the cache's own bytes
import { lstat, readdir, rm, stat, utimes } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBytes } from './memory';

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DREAMBOOTH_CACHE) return env.DREAMBOOTH_CACHE;
  const home = homedir() || tmpdir();
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'dreambooth');
  if (process.platform === 'darwin') return join(home, 'Library', 'Caches', 'dreambooth');
  return join(env.XDG_CACHE_HOME || join(home, '.cache'), 'dreambooth');
}

/** Where staged models live. */
export function stagedModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), 'onnx');
}

export const DEFAULT_CACHE_MAX = 4 * 2 ** 30;

export function cacheMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.DREAMBOOTH_CACHE_MAX;
  if (!v) return DEFAULT_CACHE_MAX;
  const n = parseBytes(v);
  if (n === undefined) throw new Error(`DREAMBOOTH_CACHE_MAX="${v}" is not a size; write it like 4G or 512M`);
  return n;
}

export interface CacheEntry {
  dir: string;
  /** Bytes of files only this entry holds (hard links to the user's weights excluded). */
  ownBytes: number;
  lastUsed: Date;
}

/** Folder-name prefix of a shared built file's entry (runtime/stage.ts stageBuilt). */
export const BUILT_PREFIX = 'built-';

/** `shared`: a built-… entry, whose files count although other entries link them. */
async function entrySize(dir: string, shared: boolean): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += await entrySize(p, shared);
    else {
      const s = await lstat(p).catch(() => undefined);
      if (s && s.isFile() && (shared || s.nlink <= 1)) n += s.size;
    }
  }
  return n;
}

export async function listEntries(dir = stagedModelsDir()): Promise<CacheEntry[]> {
  const out: CacheEntry[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (!e.isDirectory()) continue;
    const p = join(dir, e.name);
    const s = await stat(p).catch(() => undefined);
    if (s) out.push({ dir: p, ownBytes: await entrySize(p, e.name.startsWith(BUILT_PREFIX)), lastUsed: s.mtime });
  }
  return out.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
}

/** Marks an entry as just used (its folder's mtime orders pruning). */
export async function touchEntry(dir: string): Promise<void> {
  const now = new Date();
  await utimes(dir, now, now).catch(() => undefined);
}

/** Deletes least-recently-used entries until the cache holds at most `maxBytes`; `keep` is never deleted. */
export async function pruneCache(dir: string, maxBytes = cacheMaxBytes(), keep?: string): Promise<CacheEntry[]> {
  const entries = await listEntries(dir);
  let total = entries.reduce((n, e) => n + e.ownBytes, 0);
  const removed: CacheEntry[] = [];
  for (const e of [...entries].reverse()) {
    if (total <= maxBytes) break;
    if (e.dir === keep) continue;
    await rm(e.dir, { recursive: true, force: true });
    total -= e.ownBytes;
    removed.push(e);
  }
  return removed;
}

/** Removes every staged model (the user's weight files are untouched: the cache holds links to them). */
export async function cleanCache(dir = stagedModelsDir()): Promise<{ entries: number; bytes: number }> {
  const entries = await listEntries(dir);
  for (const e of entries) await rm(e.dir, { recursive: true, force: true });
  return { entries: entries.length, bytes: entries.reduce((n, e) => n + e.ownBytes, 0) };
}
