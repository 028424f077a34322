// The job registry: starts jobs, owns their AbortControllers, and turns each job's end (result,
// cancellation or error) into exactly one JobFinished.
import type { JobFinishedParams, JobProgressParams, JobRequest, JobStarted, LogLevel } from '../../protocol/sidecar';
import { JobCancelled, type JobContext } from '../context/job-context';
import { jobRunners, type JobRunner, type JobRunners } from './dispatch';
import type { RuntimeChoice } from './providers';

export interface JobEvents {
  progress(p: JobProgressParams): void;
  finished(p: JobFinishedParams): void;
  log(level: LogLevel, message: string): void;
}

/** A request the registry refuses; the server turns it into a JSON-RPC InvalidParams error. */
export class JobRequestError extends Error {}

export class JobRegistry {
  private readonly running = new Map<string, AbortController>();
  private readonly ending = new Set<Promise<void>>();
  private nextId = 1;
  /** Set by the Initialize handshake; jobs refuse to start before it. */
  runtime: RuntimeChoice | undefined;

  constructor(
    private readonly events: JobEvents,
    private readonly runners: JobRunners = jobRunners,
  ) {}

  start(request: JobRequest): JobStarted {
    const runner = (this.runners as unknown as Record<string, JobRunner<never> | undefined>)[request?.kind];
    if (!runner) {
      throw new JobRequestError(`unknown job kind "${String(request?.kind)}"; kinds: ${Object.keys(this.runners).join(', ')}`);
    }
    const runtime = this.runtime;
    if (!runtime) throw new JobRequestError('the sidecar is not initialized: send Initialize first');
    const jobId = `job-${this.nextId++}`;
    const abort = new AbortController();
    this.running.set(jobId, abort);
    // Start after this request's response has been written, so JobStarted precedes any progress.
    setImmediate(() => {
      const done = this.run(jobId, runner, request.params as never, runtime, abort.signal);
      this.ending.add(done);
      void done.finally(() => this.ending.delete(done));
    });
    return { jobId };
  }

  cancel(jobId: string): void {
    const abort = this.running.get(jobId);
    if (!abort) throw new JobRequestError(`no job "${jobId}" is running (it may have finished already)`);
    abort.abort();
  }

  cancelAll(): void {
    for (const abort of this.running.values()) abort.abort();
  }

  /** Resolves when every job started so far has ended (a cancelled training run has saved). */
  async idle(): Promise<void> {
    while (this.ending.size) await Promise.allSettled([...this.ending]);
  }

  get size(): number {
    return this.running.size;
  }

  private async run(jobId: string, runner: JobRunner<never>, params: never, runtime: RuntimeChoice, signal: AbortSignal): Promise<void> {
    const ctx: JobContext = {
      progress: (p) => this.events.progress({ jobId, ...p }),
      log: (level, message) => this.events.log(level, `[${jobId}] ${message}`),
      signal,
    };
    let outcome: JobFinishedParams;
    try {
      const result = await runner(params, ctx, runtime);
      outcome = { jobId, status: 'done', images: result.images, files: result.files };
    } catch (e) {
      if (e instanceof JobCancelled || signal.aborted) {
        outcome = { jobId, status: 'cancelled' };
      } else {
        const err = e instanceof Error ? e : new Error(String(e));
        this.events.log('error', `[${jobId}] ${err.stack ?? err.message}`);
        outcome = { jobId, status: 'failed', error: err.message };
      }
    } finally {
      this.running.delete(jobId);
    }
    this.events.finished(outcome);
  }
}
