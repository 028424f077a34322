// One table from job kind to the code that runs it. Job modules are loaded with a dynamic import
// when a job starts, so the server answers Initialize even if a job module (or a native library it
// needs) fails to load; that failure then ends just that job, with its reason.
import type { JobKind, JobRequest } from '../../protocol/sidecar';
import type { JobContext } from '../context/job-context';
import type { Runtime } from '../runtime/runtime';
import type { RuntimeChoice } from './providers';

export interface JobResult {
  images: string[];
  files: string[];
}
type ParamsOf<K extends JobKind> = Extract<JobRequest, { kind: K }>['params'];
export type JobRunner<K extends JobKind> = (params: ParamsOf<K>, ctx: JobContext, runtime: RuntimeChoice) => Promise<JobResult>;
export type JobRunners = { [K in JobKind]: JobRunner<K> };

async function load<T>(what: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (e) {
    throw new Error(`the ${what} job could not be loaded: ${(e as Error).message}`);
  }
}

/** Runs `work` on an ONNX Runtime opened with the handshake's provider and threads, closed after. */
async function withRuntime<T>(choice: RuntimeChoice, work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const { openRuntime } = await load('runtime', () => import('../runtime/runtime'));
  const runtime = await openRuntime({ providers: [choice.provider], threads: choice.threads });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

export const jobRunners: JobRunners = {
  generate: async (params, ctx, choice) => {
    const { generate } = await load('generate', () => import('../jobs/generate'));
    const images = await withRuntime(choice, (runtime) => generate(params, ctx, { runtime }));
    return { images, files: images };
  },
  train: async (params, ctx, choice) => {
    const { train } = await load('train', () => import('../jobs/train'));
    return withRuntime(choice, (runtime) => train(params, ctx, { runtime }));
  },
  prepare: async (params, ctx, choice) => {
    const { prepare } = await load('prepare', () => import('../jobs/prepare'));
    return withRuntime(choice, (runtime) => prepare(params, ctx, { runtime }));
  },
  // Export computes nothing on a runtime: it reads, merges and writes weights.
  export: async (params, ctx) => {
    const { exportRun } = await load('export', () => import('../jobs/export'));
    return exportRun(params, ctx);
  },
};
