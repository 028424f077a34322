// resolveModel for a job: download progress goes to the job's progress in MiB (the UI shows step/total),
// about once per percent rather than per network chunk; cache fallbacks go to its log, and the job's
// cancel button stops the download.
import type { JobContext } from '../context/job-context';
import { resolveModel } from './resolve';

export async function resolveModelForJob(spec: string, ctx: JobContext, token?: string): Promise<string> {
  let last = '';
  return resolveModel(spec, {
    token,
    signal: ctx.signal,
    log: (level, message) => ctx.log(level, message),
    onProgress: ({ file, bytes, total }) => {
      const key = `${file}:${total ? Math.floor((100 * bytes) / total) : Math.floor(bytes / 2 ** 24)}`;
      if (key === last) return;
      last = key;
      const mib = (n: number) => Math.round(n / 2 ** 20);
      ctx.progress({ phase: 'downloading model', step: mib(bytes), total: mib(total), message: `${spec}: ${file} (MiB)` });
    },
  });
}
