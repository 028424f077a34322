// Running a job in a terminal: progress and log lines on stderr, Ctrl-C cancels at the job's next
// safe point (exit status 130). The same JobContext the JSON-RPC server gives jobs.
import { describeProgress } from '../../protocol/progressText';
import { JobCancelled, type JobContext } from '../context/job-context';

export interface TerminalJob<T> {
  run(ctx: JobContext): Promise<T>;
  /** Printed when Ctrl-C is pressed, e.g. "saving a checkpoint and stopping after this step…". */
  onInterrupt: string;
  /** Printed when the job has stopped after a cancel. */
  onCancelled: string;
}

/** Runs the job; returns its result, or the exit status 130 when it was cancelled. */
export async function runInTerminal<T>(job: TerminalJob<T>): Promise<T | 130> {
  const abort = new AbortController();
  const onSigint = () => {
    process.stderr.write(`\n${job.onInterrupt}\n`);
    abort.abort();
  };
  process.once('SIGINT', onSigint);
  const ctx: JobContext = {
    signal: abort.signal,
    log: (level, message) => process.stderr.write(`${level}: ${message}\n`),
    progress: (p) => process.stderr.write(`${describeProgress(p)}\n`),
  };
  try {
    return await job.run(ctx);
  } catch (e) {
    if (!(e instanceof JobCancelled)) throw e;
    process.stderr.write(`${job.onCancelled}\n`);
    return 130;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
