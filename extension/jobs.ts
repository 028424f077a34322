// Jobs as the user sees them: each started job gets a cancellable progress notification (phase,
// step, ETA, loss) and a listener for anyone else who watches it (the gallery). The tracker routes
// the sidecar's JobProgress/JobFinished notifications to the job's listeners.
import * as vscode from 'vscode';
import type { JobFinishedParams, JobProgressParams } from '../protocol/sidecar';
import { describeProgress } from '../protocol/progressText';
import { progressIncrement } from './progressText';

export interface JobListener {
  /** The sidecar accepted the job; `cancel` asks it to stop. */
  started?(jobId: string, cancel: () => void): void;
  progress?(p: JobProgressParams): void;
  finished?(p: JobFinishedParams): void;
}

interface TrackedJob {
  jobId: string;
  title: string;
  listeners: JobListener[];
  last?: JobProgressParams;
  cancel: () => void;
}

export class JobTracker {
  private readonly jobs = new Map<string, TrackedJob>();
  /** Notifications that arrived before `track` (the StartJob response raced them). */
  private readonly early = new Map<string, (JobProgressParams | JobFinishedParams)[]>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  track(job: TrackedJob): void {
    this.jobs.set(job.jobId, job);
    this.changed.fire();
    for (const event of this.early.get(job.jobId) ?? []) {
      if ('status' in event) this.finish(event);
      else this.progress(event);
    }
    this.early.delete(job.jobId);
  }

  progress(p: JobProgressParams): void {
    const job = this.jobs.get(p.jobId);
    if (!job) return void this.buffer(p.jobId, p);
    job.last = p;
    for (const l of job.listeners) l.progress?.(p);
    this.changed.fire();
  }

  finish(p: JobFinishedParams): void {
    const job = this.jobs.get(p.jobId);
    if (!job) return void this.buffer(p.jobId, p);
    this.jobs.delete(p.jobId);
    for (const l of job.listeners) l.finished?.(p);
    this.changed.fire();
  }

  /** Ends every job with a failure (the sidecar went away under them). */
  failAll(error: string): void {
    for (const jobId of [...this.jobs.keys()]) this.finish({ jobId, status: 'failed', error });
    this.early.clear();
  }

  running(): readonly TrackedJob[] {
    return [...this.jobs.values()];
  }

  dispose(): void {
    this.changed.dispose();
  }

  private buffer(jobId: string, event: JobProgressParams | JobFinishedParams): void {
    const list = this.early.get(jobId) ?? [];
    list.push(event);
    this.early.set(jobId, list.slice(-50));
  }
}

/**
 * Shows a started job in a cancellable notification until it finishes; resolves with its outcome.
 * `cancel` asks the sidecar to stop it; the job still ends with JobFinished (status cancelled).
 */
export function showJob(
  tracker: JobTracker,
  jobId: string,
  title: string,
  cancel: () => void,
  extra: JobListener = {},
): Promise<JobFinishedParams> {
  return new Promise((resolveOutcome) => {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `DreamBooth: ${title}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((done) => {
          let shown = 0;
          token.onCancellationRequested(cancel);
          tracker.track({
            jobId,
            title,
            cancel,
            listeners: [
              extra,
              {
                progress: (p) => {
                  const increment = progressIncrement(p, shown);
                  shown += increment;
                  progress.report({ increment, message: describeProgress(p) });
                },
                finished: (p) => {
                  done();
                  resolveOutcome(p);
                },
              },
            ],
          });
        }),
    );
  });
}
