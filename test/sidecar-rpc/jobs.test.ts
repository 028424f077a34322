// The job registry with stand-in runners: every job ends in exactly one JobFinished whose status
// matches how the runner ended (result, JobCancelled after abort, or an error).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobFinishedParams, JobProgressParams } from '../../protocol/sidecar';
import { checkCancelled, JobCancelled } from '../../sidecar/context/job-context';
import type { JobRunners } from '../../sidecar/server/dispatch';
import { JobRegistry, JobRequestError } from '../../sidecar/server/jobs';

function harness(runners: Partial<JobRunners>) {
  const progress: JobProgressParams[] = [];
  const finished: JobFinishedParams[] = [];
  const waiters: ((p: JobFinishedParams) => void)[] = [];
  const fail = async () => {
    throw new Error('not used in this test');
  };
  const registry = new JobRegistry(
    {
      progress: (p) => progress.push(p),
      finished: (p) => {
        finished.push(p);
        waiters.shift()?.(p);
      },
      log: () => {},
    },
    { generate: fail, train: fail, prepare: fail, export: fail, ...runners },
  );
  registry.runtime = { provider: 'cpu' };
  const next = () => new Promise<JobFinishedParams>((r) => waiters.push(r));
  return { registry, progress, finished, next };
}

const genParams = { model: 'm', prompt: 'p', negativePrompt: '', count: 1, steps: 1, guidance: 7.5, sampler: 'ddim' as const, seed: 0, width: 64, height: 64, outDir: '/tmp/x' };

test('a job that returns ends done, with its images, and its progress carries the job id', async () => {
  const h = harness({
    generate: async (params, ctx) => {
      ctx.progress({ phase: 'denoising', step: 1, total: 1 });
      return { images: [`${params.outDir}/0.png`], files: [`${params.outDir}/0.png`] };
    },
  });
  const ended = h.next();
  const { jobId } = h.registry.start({ kind: 'generate', params: genParams });
  const done = await ended;
  assert.deepEqual(done, { jobId, status: 'done', images: ['/tmp/x/0.png'], files: ['/tmp/x/0.png'] });
  assert.deepEqual(h.progress, [{ jobId, phase: 'denoising', step: 1, total: 1 }]);
  assert.equal(h.registry.size, 0);
});

test('cancel aborts the signal and the job ends cancelled; a second cancel is an error', async () => {
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const h = harness({
    train: async (_params, ctx) => {
      started();
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      checkCancelled(ctx);
      throw new Error('unreachable: checkCancelled throws after abort');
    },
  });
  const ended = h.next();
  const { jobId } = h.registry.start({ kind: 'train', params: { conceptFile: '/x.dreambooth', resume: false } });
  await running;
  h.registry.cancel(jobId);
  assert.deepEqual(await ended, { jobId, status: 'cancelled' });
  assert.throws(() => h.registry.cancel(jobId), JobRequestError);
});

test('a job that throws ends failed with its message; JobCancelled without abort also counts as cancelled', async () => {
  const h = harness({
    prepare: async () => {
      throw new Error('no images in ./photos');
    },
    train: async () => {
      throw new JobCancelled();
    },
  });
  let ended = h.next();
  h.registry.start({ kind: 'prepare', params: { conceptFile: '/x.dreambooth' } });
  const failed = await ended;
  assert.equal(failed.status, 'failed');
  assert.equal(failed.status === 'failed' && failed.error, 'no images in ./photos');
  ended = h.next();
  h.registry.start({ kind: 'train', params: { conceptFile: '/x.dreambooth', resume: false } });
  assert.equal((await ended).status, 'cancelled');
});

test('jobs refuse to start before the Initialize handshake', () => {
  const h = harness({});
  h.registry.runtime = undefined;
  assert.throws(() => h.registry.start({ kind: 'prepare', params: { conceptFile: '/a' } }), /not initialized: send Initialize first/);
});

test('job ids are distinct', () => {
  const h = harness({ prepare: async () => ({ images: [], files: [] }) });
  const a = h.registry.start({ kind: 'prepare', params: { conceptFile: '/a' } });
  const b = h.registry.start({ kind: 'prepare', params: { conceptFile: '/b' } });
  assert.notEqual(a.jobId, b.jobId);
});
