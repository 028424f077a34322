// What a long-running job receives from whoever runs it (the JSON-RPC server or the CLI): a way to
// report progress, a cancellation signal, and a log that never sees secrets.
import type { JobProgressParams, LogLevel } from '../../protocol/sidecar';

export type Progress = Omit<JobProgressParams, 'jobId'>;

export interface JobContext {
  progress(p: Progress): void;
  log(level: LogLevel, message: string): void;
  /** Aborted when the user cancels; jobs check it between steps and throw `JobCancelled`. */
  signal: AbortSignal;
}

export class JobCancelled extends Error {
  constructor() {
    super('cancelled');
    this.name = 'JobCancelled';
  }
}

/** Throws JobCancelled when the job was cancelled; call it between steps. */
export function checkCancelled(ctx: JobContext): void {
  if (ctx.signal.aborted) throw new JobCancelled();
}
