// resolveModel against a local mock of the Hub (mock-hub.ts) serving fixtures/tiny-sd as a repo.
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { JobCancelled } from '../../sidecar/context/job-context';
import { HubError, HubNetworkError, resolveModel } from '../../sidecar/hub';
import { openCheckpoint } from '../../sidecar/weights/checkpoint';
import { TINY, pickleOnly, tinySdRepo } from './fake-repos';
import { MockHub, commitOf, sha256, type LoggedRequest, type RepoFiles } from './mock-hub';

const TOKEN = 'hf_TESTtoken_0123456789abcdef';
const REPO = 'test/tiny-sd';
const EXPECTED = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'text_encoder/config.json',
  'text_encoder/model.fp16.safetensors',
  'tokenizer/merges.txt',
  'tokenizer/special_tokens_map.json',
  'tokenizer/tokenizer_config.json',
  'tokenizer/vocab.json',
  'unet/config.json',
  'unet/diffusion_pytorch_model.fp16.safetensors',
  'vae/config.json',
  'vae/diffusion_pytorch_model.fp16.safetensors',
];

let hub: MockHub;
let files: RepoFiles;
const tempCache = () => mkdtempSync(join(tmpdir(), 'hub-cache-'));

/** Every file under dir (following no links), relative, sorted. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  assert.fail('expected a rejection');
}

before(async () => {
  for (const k of ['HF_HUB_OFFLINE', 'HF_TOKEN', 'HF_ENDPOINT', 'HF_HUB_CACHE', 'HF_HOME']) delete process.env[k];
  process.env.HF_TOKEN_PATH = join(tempCache(), 'no-token'); // a token from this machine's login must not leak in
  files = await tinySdRepo();
  hub = await new MockHub({
    [REPO]: { files },
    'test/gated': { files, requireToken: 'hf_the_right_one_000' },
    'test/pickle-only': { files: pickleOnly(files) },
  }).start();
});
after(() => hub.stop());
beforeEach(() => {
  hub.log.length = 0;
  hub.listingFault = undefined;
  delete process.env.HF_HUB_OFFLINE;
});

describe('resolveModel: a diffusers repo', () => {
  let cache: string;
  let snapshot: string;
  let firstLog: LoggedRequest[] = [];

  it('downloads exactly the SD 1.x files, fp16 weights, into the Hugging Face cache layout', async () => {
    cache = tempCache();
    const progress = new Set<string>();
    snapshot = await resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache, token: TOKEN, onProgress: (p) => progress.add(p.file) });
    firstLog = [...hub.log];
    const root = join(cache, 'models--test--tiny-sd');
    const commit = commitOf(REPO);
    assert.equal(snapshot, join(root, 'snapshots', commit));
    assert.deepEqual(walk(snapshot), EXPECTED);
    assert.equal(readFileSync(join(root, 'refs', 'main'), 'utf8'), commit);
    for (const f of EXPECTED) {
      const link = join(snapshot, f);
      assert.ok(lstatSync(link).isSymbolicLink(), `${f} is a symlink`);
      const target = readlinkSync(link);
      assert.ok(!target.startsWith('/'), `${f} links relatively (${target})`);
      assert.equal(relative(join(root, 'blobs'), realpathSync(link)).includes('/'), false);
      assert.deepEqual(readFileSync(link), files.get(f), `${f} has the repo's bytes`);
    }
    // LFS blobs are named by their sha256, as huggingface_hub names them
    const lfsBlob = join(root, 'blobs', sha256(files.get('unet/diffusion_pytorch_model.fp16.safetensors')!));
    assert.equal(realpathSync(join(snapshot, 'unet/diffusion_pytorch_model.fp16.safetensors')), realpathSync(lfsBlob));
    assert.ok(progress.has('unet/diffusion_pytorch_model.fp16.safetensors'));
    // nothing skipped was requested
    for (const r of hub.fileRequests()) assert.doesNotMatch(r.path, /safety_checker|feature_extractor|\.bin$|\.ckpt$|README|diffusion_pytorch_model\.safetensors$|model\.safetensors$/);
  });

  it('sends the token to the Hub only, never to the redirect origin, and writes it nowhere', () => {
    const hubFiles = firstLog.filter((r) => r.origin === 'hub');
    const cdn = firstLog.filter((r) => r.origin === 'cdn');
    assert.ok(hubFiles.length > 0 && cdn.length === 3, `3 LFS downloads via the CDN (got ${cdn.length})`);
    for (const r of hubFiles) assert.equal(r.authorization, `Bearer ${TOKEN}`, r.path);
    for (const r of cdn) assert.equal(r.authorization, undefined, r.path);
    for (const f of walk(cache)) assert.ok(!readFileSync(join(cache, f)).includes(TOKEN), `${f} does not hold the token`);
  });

  it('opens as an SD checkpoint with the fp16 weights', async () => {
    const ck = await openCheckpoint(snapshot);
    const ref = await openCheckpoint(TINY);
    for (const c of ['unet', 'vae', 'text_encoder'] as const) {
      assert.equal(ck.weights[c].tensors.size, ref.weights[c].tensors.size, c);
      const [name, t] = [...ck.weights[c].tensors].find(([, t]) => t.dtype !== 'I64')!;
      assert.equal(t.dtype, 'F16', `${c}.${name}`);
      assert.deepEqual(t.shape, ref.weights[c].tensors.get(name)!.shape);
    }
    assert.deepEqual(ck.unet, ref.unet);
  });

  it('a second call downloads nothing (only the listing is asked)', async () => {
    const again = await resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache });
    assert.equal(again, snapshot);
    assert.deepEqual(hub.fileRequests(), []);
    assert.equal(hub.log.length, 1);
    assert.match(hub.log[0]!.path, /^\/api\/models\/test\/tiny-sd\/revision\/main$/);
  });

  it('a snapshot that diffusers already downloaded (fp32 weights) is used without downloading the fp16 ones', async () => {
    const other = tempCache();
    const snap = join(other, 'models--test--tiny-sd', 'snapshots', commitOf(REPO));
    for (const [f, data] of files) {
      if (/fp16|safety_checker|feature_extractor|\.bin$|\.ckpt$/.test(f)) continue;
      mkdirSync(dirname(join(snap, f)), { recursive: true });
      writeFileSync(join(snap, f), data);
    }
    assert.equal(await resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: other }), snap);
    assert.deepEqual(hub.fileRequests(), []);
    assert.equal(readFileSync(join(other, 'models--test--tiny-sd', 'refs', 'main'), 'utf8'), commitOf(REPO));
  });

  it('offline (HF_HUB_OFFLINE=1) uses the cached snapshot without any request', async () => {
    process.env.HF_HUB_OFFLINE = '1';
    assert.equal(await resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache }), snapshot);
    assert.equal(hub.log.length, 0);
    const err = await rejection(resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: tempCache() }));
    assert.match(err.message, /HF_HUB_OFFLINE is set .* no complete copy/);
  });

  it('when the Hub cannot be reached, uses the cached snapshot, else says which host and to use a local path', async () => {
    const dead = createServer();
    await new Promise<void>((ok) => dead.listen(0, '127.0.0.1', ok));
    const port = (dead.address() as AddressInfo).port;
    await new Promise((ok) => dead.close(ok));
    const endpoint = `http://127.0.0.1:${port}`;
    const warnings: string[] = [];
    assert.equal(await resolveModel(REPO, { endpoint, cacheDir: cache, log: (_l, m) => warnings.push(m) }), snapshot);
    assert.match(warnings.join('\n'), /cannot reach 127\.0\.0\.1.*cached copy/);
    const err = await rejection(resolveModel(REPO, { endpoint, cacheDir: tempCache(), token: TOKEN }));
    assert.ok(err instanceof HubNetworkError);
    assert.match(err.message, new RegExp(`cannot reach 127\\.0\\.0\\.1:${port}.*local model folder`));
  });

  it('a Hub that answers 5xx or not at all is like no network: the cache stands in, else a clear error', async () => {
    const warnings: string[] = [];
    hub.listingFault = 503;
    assert.equal(await resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache, log: (_l, m) => warnings.push(m) }), snapshot);
    assert.match(warnings.join('\n'), /answered HTTP 503.*cached copy/);
    hub.listingFault = 'hang';
    process.env.HF_HUB_ETAG_TIMEOUT = '0.3';
    try {
      const err = await rejection(resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: tempCache() }));
      assert.ok(err instanceof HubNetworkError);
      assert.match(err.message, /cannot reach 127\.0\.0\.1:\d+ \(no answer in 0\.3 s\)/);
    } finally {
      delete process.env.HF_HUB_ETAG_TIMEOUT;
    }
  });
});

describe('resolveModel: downloads that stop', () => {
  const unet = 'unet/diffusion_pytorch_model.fp16.safetensors';

  it('resumes an interrupted download with Range and verifies it', async () => {
    const cache = tempCache();
    const sha = sha256(files.get(unet)!);
    hub.cutAfter.set(sha, 200_000);
    const err = await rejection(resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache }));
    assert.ok(err instanceof HubNetworkError, String(err));
    assert.match(err.message, /lost the connection to 127\.0\.0\.1:\d+ while downloading test\/tiny-sd\/unet/);
    const partial = join(cache, 'models--test--tiny-sd', 'blobs', `${sha}.incomplete`);
    const kept = statSync(partial).size;
    assert.ok(kept > 0 && kept <= 200_000, `kept ${kept} bytes`);
    assert.ok(!existsSync(join(cache, 'models--test--tiny-sd', 'refs', 'main')), 'no ref to an incomplete snapshot');

    hub.log.length = 0;
    const snapshot = await resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache });
    const gets = hub.log.filter((r) => r.origin === 'cdn' && r.path.endsWith(sha));
    assert.deepEqual(gets.map((r) => r.range), [`bytes=${kept}-`]);
    assert.deepEqual(readFileSync(join(snapshot, unet)), files.get(unet));
    assert.ok(!existsSync(partial));
  });

  it('two concurrent calls fetch each blob once', async () => {
    const cache = tempCache();
    const resolve = () => resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache });
    const [a, b] = await Promise.all([resolve(), resolve()]);
    assert.equal(a, b);
    const cdn = hub.log.filter((r) => r.origin === 'cdn').map((r) => r.path);
    assert.equal(cdn.length, 3, cdn.join(', '));
    assert.equal(new Set(cdn).size, 3);
    assert.deepEqual(walk(a), EXPECTED);
  });

  it("a job waiting on another job's download carries on (resuming it) when that job is cancelled", async () => {
    const cache = tempCache();
    const sha = sha256(files.get(unet)!);
    let release!: () => void;
    hub.stall.set(sha, { at: 100_000, until: new Promise<void>((ok) => (release = ok)) });
    const ac = new AbortController();
    let second: Promise<string> | undefined;
    const first = resolveModel(REPO, {
      endpoint: hub.hubUrl,
      cacheDir: cache,
      signal: ac.signal,
      onProgress: (p) => void (p.file === unet && !second && (second = resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache }))),
    });
    // once the second job has asked for the UNet it waits on the first job's download: cancel that one
    const asked = () => hub.log.filter((r) => r.method === 'HEAD' && r.path.endsWith(unet)).length;
    while (asked() < 2) await new Promise((ok) => setTimeout(ok, 20));
    ac.abort();
    assert.ok((await rejection(first)) instanceof JobCancelled);
    release();
    const snapshot = await second!;
    assert.deepEqual(readFileSync(join(snapshot, unet)), files.get(unet));
    const ranges = hub.log.filter((r) => r.origin === 'cdn' && r.path.endsWith(sha)).map((r) => r.range);
    assert.equal(ranges.length, 2);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=[1-9]\d*-$/, 'the second job resumed the first one\'s partial file');
  });

  it('cancellation throws JobCancelled and keeps the partial file for a later resume', async () => {
    const cache = tempCache();
    const ac = new AbortController();
    const err = await rejection(
      resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache, signal: ac.signal, onProgress: (p) => p.file === unet && ac.abort() }),
    );
    assert.ok(err instanceof JobCancelled, String(err));
    const partial = join(cache, 'models--test--tiny-sd', 'blobs', `${sha256(files.get(unet)!)}.incomplete`);
    assert.ok(statSync(partial).size > 0);
  });

  it('a corrupt download (sha256 mismatch) is deleted and reported', async () => {
    const cache = tempCache();
    const sha = sha256(files.get(unet)!);
    const blobs = join(cache, 'models--test--tiny-sd', 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${sha}.incomplete`), Buffer.alloc(1000, 7)); // wrong bytes "already downloaded"
    const err = await rejection(resolveModel(REPO, { endpoint: hub.hubUrl, cacheDir: cache }));
    assert.match(err.message, /unet\/diffusion_pytorch_model\.fp16\.safetensors: the downloaded file is corrupt/);
    assert.ok(!existsSync(join(blobs, `${sha}.incomplete`)));
  });
});

describe('resolveModel: errors', () => {
  it('a gated repo asks for the licence and the token, and never shows the token', async () => {
    const without = await rejection(resolveModel('test/gated', { endpoint: hub.hubUrl, cacheDir: tempCache() }));
    assert.ok(without instanceof HubError);
    assert.match(without.message, /gated or private.*accept its licence on huggingface\.co.*'DreamBooth: Set Hugging Face Token'/);
    const wrong = await rejection(resolveModel('test/gated', { endpoint: hub.hubUrl, cacheDir: tempCache(), token: TOKEN }));
    assert.match(wrong.message, /gated or private/);
    assert.ok(!wrong.message.includes(TOKEN) && !String(wrong.stack).includes(TOKEN));
    const ok = await resolveModel('test/gated', { endpoint: hub.hubUrl, cacheDir: tempCache(), token: 'hf_the_right_one_000' });
    assert.ok(existsSync(join(ok, 'unet/diffusion_pytorch_model.fp16.safetensors')));
  });

  it("without a token option, uses huggingface-cli's token file", async () => {
    const saved = process.env.HF_TOKEN_PATH;
    process.env.HF_TOKEN_PATH = join(tempCache(), 'token');
    writeFileSync(process.env.HF_TOKEN_PATH, 'hf_the_right_one_000\n');
    try {
      await resolveModel('test/gated/text_encoder/model.fp16.safetensors', { endpoint: hub.hubUrl, cacheDir: tempCache() });
    } finally {
      process.env.HF_TOKEN_PATH = saved;
    }
  });

  it('an unknown repo or revision says so', async () => {
    const repo = await rejection(resolveModel('test/no-such-model', { endpoint: hub.hubUrl, cacheDir: tempCache() }));
    assert.match(repo.message, /test\/no-such-model@main: repo or revision not found/);
    const rev = await rejection(resolveModel(`${REPO}@nope`, { endpoint: hub.hubUrl, cacheDir: tempCache() }));
    assert.match(rev.message, /test\/tiny-sd@nope: revision not found/);
    const file = await rejection(resolveModel(`${REPO}/missing.safetensors`, { endpoint: hub.hubUrl, cacheDir: tempCache() }));
    assert.match(file.message, /test\/tiny-sd has no file missing\.safetensors/);
  });

  it('a component with only pickled weights is refused before anything is downloaded', async () => {
    const err = await rejection(resolveModel('test/pickle-only', { endpoint: hub.hubUrl, cacheDir: tempCache() }));
    assert.match(err.message, /test\/pickle-only has no safetensors weights for text_encoder \(only text_encoder\/pytorch_model\.bin/);
    assert.deepEqual(hub.fileRequests(), []);
  });
});

describe('resolveModel: other spec forms', () => {
  it('a single .safetensors file in a repo, at a commit, from HF_ENDPOINT into HF_HUB_CACHE', async () => {
    const cache = tempCache();
    process.env.HF_ENDPOINT = hub.hubUrl;
    process.env.HF_HUB_CACHE = cache;
    try {
      const f = 'vae/diffusion_pytorch_model.safetensors';
      const path = await resolveModel(`${REPO}/${f}@${commitOf(REPO)}`);
      assert.equal(path, join(cache, 'models--test--tiny-sd', 'snapshots', commitOf(REPO), f));
      assert.deepEqual(readFileSync(path), files.get(f));
      assert.deepEqual(walk(join(cache, 'models--test--tiny-sd', 'snapshots')), [join(commitOf(REPO), f)]);
      assert.ok(!existsSync(join(cache, 'models--test--tiny-sd', 'refs')), 'a commit hash needs no ref');
      hub.log.length = 0;
      assert.equal(await resolveModel(`${REPO}/${f}@${commitOf(REPO)}`), path);
      assert.equal(hub.log.length, 0, 'a cached commit needs no request at all');
    } finally {
      delete process.env.HF_ENDPOINT;
      delete process.env.HF_HUB_CACHE;
    }
  });

  it('a pickle in a repo is refused; a local path is returned as it is', async () => {
    const err = await rejection(resolveModel(`${REPO}/v1-5-pruned.ckpt`, { endpoint: hub.hubUrl, cacheDir: tempCache() }));
    assert.match(err.message, /v1-5-pruned\.ckpt is a PyTorch pickle/);
    assert.equal(await resolveModel(TINY, { endpoint: hub.hubUrl }), TINY);
    assert.equal(hub.fileRequests().length, 0);
  });
});
