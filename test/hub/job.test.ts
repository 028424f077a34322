// The job path: generate/train's resolveModel sends Hub ids to the Hub resolver, with the job's
// progress, cancel signal and token.
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import type { JobContext, Progress } from '../../sidecar/context/job-context';
import { resolveModel } from '../../sidecar/jobs/model';
import { tinySdRepo } from './fake-repos';
import { MockHub, commitOf } from './mock-hub';

let hub: MockHub;
before(async () => {
  hub = await new MockHub({ 'test/tiny-sd': { files: await tinySdRepo() } }).start();
});
after(() => hub.stop());

it("generate's resolveModel downloads a Hub id with the job's progress and token", async () => {
  const cache = mkdtempSync(join(tmpdir(), 'hub-job-'));
  process.env.HF_ENDPOINT = hub.hubUrl;
  process.env.HF_HUB_CACHE = cache;
  delete process.env.HF_HUB_OFFLINE;
  const progress: Progress[] = [];
  const ctx: JobContext = { progress: (p) => progress.push(p), log: () => undefined, signal: new AbortController().signal };
  try {
    const path = await resolveModel('test/tiny-sd', ctx, 'hf_job_token_123456');
    assert.equal(path, join(cache, 'models--test--tiny-sd', 'snapshots', commitOf('test/tiny-sd')));
    const unet = progress.filter((p) => p.phase === 'downloading model' && p.message === 'test/tiny-sd: unet/diffusion_pytorch_model.fp16.safetensors (MiB)');
    assert.ok(unet.length >= 2 && unet.length <= 101, `about one update per percent (got ${unet.length})`);
    assert.equal(unet.at(-1)!.step, unet.at(-1)!.total);
    assert.equal(unet.at(-1)!.total, Math.round(statSync(join(path, 'unet/diffusion_pytorch_model.fp16.safetensors')).size / 2 ** 20), 'in MiB');
    assert.ok(hub.log.some((r) => r.origin === 'hub' && r.authorization === 'Bearer hf_job_token_123456'));
  } finally {
    delete process.env.HF_ENDPOINT;
    delete process.env.HF_HUB_CACHE;
  }
});
