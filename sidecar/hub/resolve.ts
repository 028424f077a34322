// Turns a `model` setting into a local path: a path that exists is used as is; a Hub id
// (`owner/name[@revision]`, or `owner/name/file.safetensors[@revision]`) is downloaded into the shared
// Hugging Face cache (only what an SD 1.x pipeline needs) and its snapshot folder or file returned.
// Offline (HF_HUB_OFFLINE=1, or the network fails) a complete cached snapshot of the revision is used.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogLevel } from '../../protocol/sidecar';
import { JobCancelled } from '../context/job-context';
import { RepoCache, defaultCacheDir, isCommitHash } from './cache';
import { downloadFile, type FileProgress } from './download';
import { HubError, hubError } from './errors';
import { HubNetworkError, checkStatus, request, type HubHttp } from './http';
import { checkSingleFile, selectPipelineFiles, shardFiles } from './select';
import { parseHubSpec, type HubSpec } from './spec';
import { defaultToken } from './token';

export interface ResolveModelOptions {
  /** Hugging Face token for gated/private repos (default: $HF_TOKEN or huggingface-cli's token file); sent only to the Hub's origin. */
  token?: string;
  /** Default: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Used when the spec has no "@revision" (default "main"). */
  revision?: string;
  signal?: AbortSignal;
  onProgress?(p: FileProgress): void;
  /** Told when a cached copy stands in for the network. */
  log?(level: Exclude<LogLevel, 'error'>, message: string): void;
  fetch?: typeof fetch;
  /** Default: $HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
}

interface RepoListing {
  sha: string;
  files: string[];
}

function offlineMode(): boolean {
  return /^(1|true|yes|on)$/i.test(process.env.HF_HUB_OFFLINE ?? '');
}

export async function resolveModel(spec: string, opts: ResolveModelOptions = {}): Promise<string> {
  if (existsSync(spec)) return spec;
  const parsed = parseHubSpec(spec);
  if (!parsed) throw new HubError(`${spec}: no such file or folder (and not a Hugging Face repo id like owner/name)`);
  const revision = parsed.revision ?? opts.revision ?? 'main';
  const cache = new RepoCache(opts.cacheDir ?? defaultCacheDir(), parsed.repo);
  const label = `${parsed.repo}${parsed.file ? `/${parsed.file}` : ''}@${revision}`;

  // A commit hash names fixed content: a complete cached snapshot of it needs no network at all.
  if (offlineMode() || isCommitHash(revision)) {
    const hit = await fromCache(cache, parsed, revision);
    if (hit) return hit;
  }
  if (offlineMode()) {
    throw new HubError(`${label}: HF_HUB_OFFLINE is set and the Hugging Face cache (${cache.root}) has no complete copy of it; unset HF_HUB_OFFLINE to download it, or give a local path`);
  }
  const http: HubHttp = {
    endpoint: (opts.endpoint ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    token: opts.token ?? (await defaultToken()),
    fetch: opts.fetch ?? fetch,
    signal: opts.signal,
  };
  try {
    return await download(http, cache, parsed, revision, opts.onProgress);
  } catch (e) {
    if (!(e instanceof HubNetworkError)) throw e;
    const hit = await fromCache(cache, parsed, revision);
    if (!hit) throw e;
    opts.log?.('warn', `${e.message}; using the cached copy of ${label} in ${hit}`);
    return hit;
  }
}

async function listRepo(http: HubHttp, repo: string, revision: string): Promise<RepoListing> {
  const url = `${http.endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
  const { res } = await request(http, 'GET', url, { follow: 'all' });
  await checkStatus(http, res, `${repo}@${revision}`);
  let body: { sha?: unknown; siblings?: unknown };
  try {
    body = (await res.json()) as typeof body;
  } catch {
    if (http.signal?.aborted) throw new JobCancelled();
    throw hubError(`${repo}@${revision}: the Hub's answer is not JSON (${url})`, http.token);
  }
  const siblings = Array.isArray(body.siblings) ? body.siblings : [];
  const files = siblings.map((s: unknown) => (s as { rfilename?: unknown }).rfilename).filter((f): f is string => typeof f === 'string');
  if (typeof body.sha !== 'string' || !/^[0-9a-f]{40}$/.test(body.sha)) throw hubError(`${repo}@${revision}: the Hub's listing has no commit hash (${url})`, http.token);
  return { sha: body.sha, files };
}

async function download(http: HubHttp, cache: RepoCache, spec: HubSpec, revision: string, onProgress?: (p: FileProgress) => void): Promise<string> {
  const { sha, files } = await listRepo(http, spec.repo, revision);
  // A snapshot that is already usable (e.g. diffusers downloaded the fp32 weights) is taken as it is.
  const ready = await completeSnapshot(cache, spec, sha);
  if (ready) {
    await cache.writeRef(revision, sha);
    return ready;
  }
  const fetchOne = async (path: string) => {
    if (http.signal?.aborted) throw new JobCancelled();
    if (!(await cache.hasFile(sha, path))) await downloadFile(http, cache, spec.repo, sha, path, onProgress);
  };
  let result: string;
  if (spec.file) {
    checkSingleFile(spec.repo, spec.file, files);
    await fetchOne(spec.file);
    result = join(cache.snapshot(sha), spec.file);
  } else {
    const selection = selectPipelineFiles(spec.repo, files);
    for (const f of selection.files) await fetchOne(f);
    for (const index of selection.shardIndexes) for (const f of await shardsOf(cache, sha, index)) await fetchOne(f);
    result = cache.snapshot(sha);
  }
  await cache.writeRef(revision, sha); // last: a ref only ever names a complete snapshot
  return result;
}

async function shardsOf(cache: RepoCache, commit: string, index: string): Promise<string[]> {
  const path = join(cache.snapshot(commit), index);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new HubError(`${path}: unreadable shard index (${(e as Error).message})`);
  }
  return shardFiles(index, json);
}

/** Every file under a snapshot folder, as repo paths. */
async function snapshotFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await snapshotFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** The cached snapshot (or file) of the revision when everything the pipeline needs is there. */
async function fromCache(cache: RepoCache, spec: HubSpec, revision: string): Promise<string | undefined> {
  const commit = await cache.commitOf(revision);
  return commit ? completeSnapshot(cache, spec, commit) : undefined;
}

/** snapshots/<commit> (or the file in it) when it holds a loadable pipeline, whoever downloaded it. */
async function completeSnapshot(cache: RepoCache, spec: HubSpec, commit: string): Promise<string | undefined> {
  if (spec.file) return (await cache.hasFile(commit, spec.file)) ? join(cache.snapshot(commit), spec.file) : undefined;
  try {
    const selection = selectPipelineFiles(spec.repo, await snapshotFiles(cache.snapshot(commit)));
    const needed = [...selection.files];
    for (const index of selection.shardIndexes) needed.push(...(await shardsOf(cache, commit, index)));
    for (const f of needed) if (!(await cache.hasFile(commit, f))) return undefined;
    return cache.snapshot(commit);
  } catch {
    return undefined;
  }
}
