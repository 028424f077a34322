// One file of a repo into the cache: HEAD the resolve URL for its ETag (the blob's name; a sha256 for
// LFS files) and size, reuse the blob when another snapshot already has it, else stream it to
// blobs/<etag>.incomplete (resuming a previous attempt with Range), verify size and sha256, rename into
// place, and link the snapshot path to it.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { JobCancelled } from '../context/job-context';
import type { RepoCache } from './cache';
import { HubError, redact } from './errors';
import { HubNetworkError, checkStatus, request, type HubHttp } from './http';

export interface FileProgress {
  file: string;
  bytes: number;
  total: number;
}

export function resolveUrl(endpoint: string, repo: string, commit: string, path: string): string {
  return `${endpoint}/${repo}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

function normalizeEtag(etag: string | null): string | undefined {
  const e = etag?.replace(/^W\//, '').replace(/"/g, '').trim();
  return e && /^[\w.-]+$/.test(e) ? e : undefined;
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => (s.isFile() ? s.size : undefined),
    () => undefined,
  );
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/**
 * Blobs being downloaded in this process: a second job asking for the same blob (generate and train
 * of one model at once) waits for the first instead of writing the same .incomplete file.
 */
const inflight = new Map<string, Promise<void>>();

/** Downloads `path` at `commit` unless its blob is cached; returns the snapshot path. */
export async function downloadFile(
  http: HubHttp,
  cache: RepoCache,
  repo: string,
  commit: string,
  path: string,
  onProgress?: (p: FileProgress) => void,
): Promise<string> {
  const what = `${repo}/${path}`;
  const { res: head, url: headUrl } = await request(http, 'HEAD', resolveUrl(http.endpoint, repo, commit, path), {
    headers: { 'Accept-Encoding': 'identity' },
    follow: 'same-origin',
  });
  await checkStatus(http, head, what);
  const etag = normalizeEtag(head.headers.get('x-linked-etag') ?? head.headers.get('etag'));
  if (!etag) throw new HubError(`${what}: the server sent no usable ETag, so the file cannot be cached`);
  const sizeHeader = head.headers.get('x-linked-size') ?? (head.status < 300 ? head.headers.get('content-length') : null);
  const total = sizeHeader !== null && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : undefined;
  const location = head.status >= 300 && head.headers.get('location') ? new URL(head.headers.get('location')!, headUrl).toString() : headUrl;

  const blob = cache.blob(etag);
  const cached = await sizeOf(blob);
  if (cached !== undefined && (total === undefined || cached === total)) return cache.link(commit, path, etag);

  const running = inflight.get(blob);
  if (running) {
    // Its failure (that job cancelled, say) is not this job's: look again, and download if still needed.
    await running.catch(() => undefined);
    return downloadFile(http, cache, repo, commit, path, onProgress);
  }
  const fetching = fetchBlob(http, blob, etag, total, location, what, path, onProgress);
  inflight.set(blob, fetching);
  try {
    await fetching;
  } finally {
    inflight.delete(blob);
  }
  return cache.link(commit, path, etag);
}

/** Streams the blob to <blob>.incomplete (resuming), verifies it and renames it into place. */
async function fetchBlob(
  http: HubHttp,
  blob: string,
  etag: string,
  total: number | undefined,
  location: string,
  what: string,
  path: string,
  onProgress?: (p: FileProgress) => void,
): Promise<void> {
  await mkdir(dirname(blob), { recursive: true });
  const partial = `${blob}.incomplete`;
  let have = (await sizeOf(partial)) ?? 0;
  if (total !== undefined && have > total) {
    await rm(partial, { force: true });
    have = 0;
  }
  const hash = /^[0-9a-f]{64}$/.test(etag) ? createHash('sha256') : undefined;
  if (total === undefined || have < total) {
    const get = (from: number) => request(http, 'GET', location, { headers: { 'Accept-Encoding': 'identity', ...(from ? { Range: `bytes=${from}-` } : {}) }, follow: 'all' });
    let { res } = await get(have);
    if (res.status === 416) {
      // The partial file is not a prefix the server can continue (size unknown to us): start over.
      await res.body?.cancel();
      have = 0;
      ({ res } = await get(0));
    }
    await checkStatus(http, res, what);
    if (res.status !== 206) have = 0; // the server ignored Range: start over
    const fh = await open(partial, have ? 'a' : 'w');
    let bytes = have;
    try {
      if (hash && have) await hashFile(partial, hash);
      if (!res.body) throw new HubError(`${what}: empty response from ${new URL(location).host}`);
      const reader = res.body.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        const buf = r.value;
        await fh.write(buf);
        hash?.update(buf);
        bytes += buf.length;
        onProgress?.({ file: path, bytes, total: total ?? 0 });
      }
    } catch (e) {
      if (http.signal?.aborted) throw new JobCancelled(); // the .incomplete file stays for the next attempt
      if (e instanceof HubError) throw e;
      throw new HubNetworkError(
        redact(`lost the connection to ${new URL(location).host} while downloading ${what} (${bytes} bytes kept; run again to resume)`, http.token),
      );
    } finally {
      await fh.close();
    }
  } else if (hash) await hashFile(partial, hash); // complete from an earlier attempt: just verify

  const got = (await sizeOf(partial)) ?? 0;
  if (total !== undefined && got !== total) {
    throw new HubNetworkError(`${what}: download ended early (${got} of ${total} bytes; run again to resume)`);
  }
  if (hash) {
    const digest = hash.digest('hex');
    if (digest !== etag) {
      await rm(partial, { force: true });
      throw new HubError(`${what}: the downloaded file is corrupt (sha256 ${digest}, expected ${etag}); it was deleted, run again to download it afresh`);
    }
  }
  await rename(partial, blob);
}
