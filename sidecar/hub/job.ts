// resolveModel for a job: download progress goes to the job's progress (about once per percent, not
// per network chunk), cache fallbacks to its log, and the job's cancel button stops the download.
import type { JobContext } from '../jobs/context';
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
      ctx.progress({ phase: 'downloading model', step: bytes, total, message: `${spec}: ${file}` });
    },
  });
}
