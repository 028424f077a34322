// HTTP to the Hub: the token goes only to the Hub's own origin (huggingface_hub drops Authorization when
// a redirect leaves it, e.g. to the LFS/Xet CDN), redirects are followed by hand so that rule holds
// whatever fetch implementation is injected, and failures become messages a user can act on.
import { JobCancelled } from '../context/job-context';
import { HubError, SET_TOKEN_HINT, redact } from './errors';

export interface HubHttp {
  endpoint: string;
  token?: string;
  fetch: typeof fetch;
  signal?: AbortSignal;
}

/** The network failed (host unreachable, connection dropped): a cached snapshot may stand in. */
export class HubNetworkError extends HubError {
  override name = 'HubNetworkError';
}

const MAX_REDIRECTS = 10;

function host(url: string): string {
  return new URL(url).host;
}

/** Seconds to wait for a response's headers (huggingface_hub's HF_HUB_ETAG_TIMEOUT, default 10). */
function headerTimeoutMs(): number {
  const s = Number(process.env.HF_HUB_ETAG_TIMEOUT);
  return (Number.isFinite(s) && s > 0 ? s : 10) * 1000;
}

/**
 * One request, no redirects followed; network failures, a server that does not answer in time, and
 * cancellation mapped. The timeout covers the headers only: a large body may take as long as it takes.
 */
async function once(http: HubHttp, method: string, url: string, headers: Record<string, string>): Promise<Response> {
  const sameOrigin = new URL(url).origin === new URL(http.endpoint).origin;
  const h: Record<string, string> = { 'User-Agent': 'dreambooth-vscode', ...headers };
  if (http.token && sameOrigin) h.Authorization = `Bearer ${http.token}`;
  const ac = new AbortController();
  const cancel = () => ac.abort();
  if (http.signal?.aborted) throw new JobCancelled();
  http.signal?.addEventListener('abort', cancel, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, headerTimeoutMs());
  try {
    return await http.fetch(url, { method, headers: h, redirect: 'manual', signal: ac.signal });
  } catch (e) {
    if (http.signal?.aborted) throw new JobCancelled();
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = timedOut ? `no answer in ${headerTimeoutMs() / 1000} s` : (cause?.code ?? cause?.message ?? (e as Error).message);
    throw new HubNetworkError(
      redact(`cannot reach ${host(url)} (${why}): check the internet connection or proxy, or give a local model folder or .safetensors file instead`, http.token),
    );
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Sends a request and follows redirects: all of them (`follow: 'all'`), or only those that stay on the
 * Hub's origin (`'same-origin'`, as huggingface_hub's HEAD does, to learn the CDN location without going there).
 */
export async function request(
  http: HubHttp,
  method: 'GET' | 'HEAD',
  url: string,
  opts: { headers?: Record<string, string>; follow: 'all' | 'same-origin' },
): Promise<{ res: Response; url: string }> {
  let current = url;
  for (let i = 0; i <= MAX_REDIRECTS; i++) {
    const res = await once(http, method, current, opts.headers ?? {});
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) return { res, url: current };
    const next = new URL(location, current).toString();
    if (opts.follow === 'same-origin' && new URL(next).origin !== new URL(current).origin) return { res, url: current };
    await res.body?.cancel();
    current = next;
  }
  throw new HubError(`too many redirects from ${host(url)} for ${url}`);
}

/** Throws a clear HubError for an error status; `what` names the repo (and file) for the message. */
export async function checkStatus(http: HubHttp, res: Response, what: string): Promise<void> {
  if (res.status < 400) return;
  const code = res.headers.get('x-error-code') ?? '';
  await res.body?.cancel();
  const tokenNote = http.token ? 'the token set does not give access' : 'no token is set';
  let message: string;
  if (code === 'RepoNotFound' || (res.status === 404 && !code))
    message = `${what}: repo or revision not found on ${host(http.endpoint)} (check the spelling; if it is private, ${SET_TOKEN_HINT})`;
  else if (code === 'RevisionNotFound') message = `${what}: revision not found (check the branch, tag or commit after "@")`;
  else if (code === 'EntryNotFound') message = `${what}: file not found in the repo`;
  else if (res.status === 401 || res.status === 403)
    message = `${what}: this model is gated or private (${tokenNote}): accept its licence on huggingface.co and ${SET_TOKEN_HINT}`;
  else if (res.status >= 500)
    // The Hub being down is like the network being down: a cached copy may stand in (as huggingface_hub does).
    throw new HubNetworkError(redact(`${what}: ${host(res.url || http.endpoint)} answered HTTP ${res.status}; try again later, or give a local model folder or .safetensors file instead`, http.token));
  else message = `${what}: HTTP ${res.status} ${res.statusText} from ${host(res.url || http.endpoint)}`;
  throw new HubError(redact(message, http.token));
}
