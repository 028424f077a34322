// A local stand-in for huggingface.co: the model API listing, `resolve` URLs with the Hub's headers
// (ETag, X-Linked-Etag/X-Linked-Size for LFS files, X-Repo-Commit, X-Error-Code), LFS files
// redirected to a second origin (the "CDN") that honours Range, and a log of every request.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RepoFiles = Map<string, Buffer>;

export interface MockRepo {
  files: RepoFiles;
  /** Downloads need this bearer token (gated/private repo): 401 without it, 403 with another. */
  requireToken?: string;
}

export interface LoggedRequest {
  origin: 'hub' | 'cdn';
  method: string;
  path: string;
  authorization?: string;
  range?: string;
}

const LFS = /\.(safetensors|bin|ckpt)$/;
export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** Git's blob id, which the Hub sends as the ETag of non-LFS files. */
const gitSha = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
export const commitOf = (repo: string) => createHash('sha1').update(`commit ${repo}`).digest('hex');

export class MockHub {
  readonly log: LoggedRequest[] = [];
  /** sha256 → bytes after which the CDN drops the connection, once. */
  readonly cutAfter = new Map<string, number>();
  /** sha256 → the CDN sends `at` bytes, then waits for `until` before the rest, once. */
  readonly stall = new Map<string, { at: number; until: Promise<void> }>();
  /** The listing answers this status instead, or never answers ('hang'). */
  listingFault: number | 'hang' | undefined;
  hubUrl = '';
  cdnUrl = '';
  private readonly blobs = new Map<string, Buffer>();
  private hub!: Server;
  private cdn!: Server;

  constructor(readonly repos: Record<string, MockRepo>) {
    for (const r of Object.values(repos)) for (const b of r.files.values()) this.blobs.set(sha256(b), b);
  }

  async start(): Promise<this> {
    this.hub = createServer((q, s) => this.serveHub(q, s));
    this.cdn = createServer((q, s) => this.serveCdn(q, s));
    const listen = (srv: Server) => new Promise<string>((ok) => srv.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`)));
    this.hubUrl = await listen(this.hub);
    this.cdnUrl = await listen(this.cdn);
    return this;
  }

  async stop(): Promise<void> {
    for (const srv of [this.hub, this.cdn]) {
      srv.closeAllConnections();
      await new Promise((ok) => srv.close(ok));
    }
  }

  private record(origin: 'hub' | 'cdn', q: IncomingMessage): void {
    this.log.push({ origin, method: q.method!, path: decodeURIComponent(q.url!), authorization: q.headers.authorization, range: q.headers.range });
  }

  private serveHub(q: IncomingMessage, s: ServerResponse): void {
    this.record('hub', q);
    const url = new URL(q.url!, this.hubUrl);
    const fail = (status: number, code?: string) => {
      s.writeHead(status, code ? { 'X-Error-Code': code } : {}).end(JSON.stringify({ error: code ?? status }));
    };
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(url.pathname);
    if (api && this.listingFault === 'hang') return;
    if (api && typeof this.listingFault === 'number') return fail(this.listingFault);
    if (api) {
      const repo = this.repos[api[1]!];
      if (!repo) return fail(401, 'RepoNotFound'); // as the Hub answers for unknown or private repos
      if (decodeURIComponent(api[2]!) !== 'main' && decodeURIComponent(api[2]!) !== commitOf(api[1]!)) return fail(404, 'RevisionNotFound');
      const body = { id: api[1], sha: commitOf(api[1]!), siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })) };
      s.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    const res = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = res && this.repos[res[1]!];
    if (!res || !repo) return fail(404);
    if (res[2] !== commitOf(res[1]!) && res[2] !== 'main') return fail(404, 'RevisionNotFound');
    if (repo.requireToken && q.headers.authorization !== `Bearer ${repo.requireToken}`) return fail(q.headers.authorization ? 403 : 401, 'GatedRepo');
    const path = decodeURIComponent(res[3]!);
    const data = repo.files.get(path);
    if (!data) return fail(404, 'EntryNotFound');
    const common = { 'X-Repo-Commit': commitOf(res[1]!), ETag: `"${gitSha(data)}"` };
    if (LFS.test(path)) {
      const sha = sha256(data);
      s.writeHead(302, { ...common, 'X-Linked-Etag': `"${sha}"`, 'X-Linked-Size': String(data.length), Location: `${this.cdnUrl}/lfs/${sha}` }).end();
      return;
    }
    s.writeHead(200, { ...common, 'Content-Length': String(data.length) });
    s.end(q.method === 'HEAD' ? undefined : data);
  }

  private serveCdn(q: IncomingMessage, s: ServerResponse): void {
    this.record('cdn', q);
    const sha = /^\/lfs\/([0-9a-f]{64})$/.exec(q.url!)?.[1];
    const data = sha && this.blobs.get(sha);
    if (!data) return void s.writeHead(404).end();
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(q.headers.range ?? '');
    if (range) start = Number(range[1]);
    if (start >= data.length) return void s.writeHead(416, { 'Content-Range': `bytes */${data.length}` }).end();
    const headers: Record<string, string> = { 'Content-Length': String(data.length - start), ETag: `"${sha}"`, 'Accept-Ranges': 'bytes' };
    if (range) headers['Content-Range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    s.writeHead(range ? 206 : 200, headers);
    if (q.method === 'HEAD') return void s.end();
    const cut = this.cutAfter.get(sha);
    if (cut !== undefined && cut > start) {
      this.cutAfter.delete(sha);
      s.write(data.subarray(start, cut));
      setTimeout(() => s.destroy(), 50); // the client has the first bytes, then the connection drops
      return;
    }
    const stall = this.stall.get(sha);
    if (stall && stall.at > start) {
      this.stall.delete(sha);
      s.write(data.subarray(start, stall.at));
      void stall.until.then(() => !s.destroyed && s.end(data.subarray(stall.at)));
      return;
    }
    s.end(data.subarray(start));
  }

  /** Requests to resolve URLs or the CDN, i.e. file downloads (not the listing). */
  fileRequests(): LoggedRequest[] {
    return this.log.filter((r) => r.origin === 'cdn' || r.path.includes('/resolve/'));
  }
}
