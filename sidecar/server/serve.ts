// Wires the JSON-RPC connection to the handshake and the job registry. Every method comes from
// protocol/sidecar.ts; nothing here spells a method string.
import { ErrorCodes, ResponseError, type MessageConnection } from 'vscode-jsonrpc';
import { CancelJob, Initialize, JobFinished, JobProgress, Log, StartJob } from '../../protocol/sidecar';
import { JobRegistry, JobRequestError } from './jobs';
import { initialize } from './providers';

function asResponseError(e: unknown): never {
  if (e instanceof JobRequestError) throw new ResponseError(ErrorCodes.InvalidParams, e.message);
  throw e;
}

export function serve(connection: MessageConnection, version: string): JobRegistry {
  // Once the extension is gone, jobs still end (a cancelled training run saves first): what they
  // report then goes nowhere instead of throwing into the job.
  let open = true;
  connection.onClose(() => (open = false));
  const notify = (send: () => Promise<void>) => {
    if (!open) return;
    try {
      void send().catch(() => undefined);
    } catch {
      // closed between the check and the send
    }
  };
  const jobs = new JobRegistry({
    progress: (p) => notify(() => connection.sendNotification(JobProgress, p)),
    finished: (p) => notify(() => connection.sendNotification(JobFinished, p)),
    log: (level, message) => notify(() => connection.sendNotification(Log, { level, message })),
  });
  connection.onRequest(Initialize, async (params) => {
    const { result, choice } = await initialize(params, version);
    jobs.runtime = choice;
    return result;
  });
  connection.onRequest(StartJob, (request) => {
    try {
      return jobs.start(request);
    } catch (e) {
      return asResponseError(e);
    }
  });
  connection.onRequest(CancelJob, ({ jobId }) => {
    try {
      jobs.cancel(jobId);
    } catch (e) {
      asResponseError(e);
    }
  });
  return jobs;
}
