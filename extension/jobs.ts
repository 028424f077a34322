// Jobs as the user sees them: each started job gets a cancellable progress notification (phase,
// step, ETA, loss; a fresh bar per phase) and a listener for anyone else who watches it (the gallery,
// the training dashboard). The tracker routes the sidecar's JobProgress/JobFinished notifications to
// the job's listeners.
import * as vscode from 'vscode';
import type { JobFinishedParams, JobProgressParams } from '../protocol/sidecar';
import { describeProgress } from '../protocol/progressText';
import { PhaseBar } from './progressText';

export interface JobListener {
  /** The job waits for the jobs ahead of it (titles, the running one first). */
  queued?(ahead: string[]): void;
  /** The sidecar accepted the job; `cancel` asks it to stop. */
  started?(jobId: string, cancel: () => void): void;
  progress?(p: JobProgressParams): void;
  finished?(p: JobFinishedParams): void;
}

/** A training job's run: its folder (the concept's output) and concept file. */
export interface RunRef {
  output: string;
  conceptFile: string;
}

interface TrackedJob {
  jobId: string;
  title: string;
  run?: RunRef;
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
 * VS Code's bar cannot go back, so a phase that starts over replaces the notification with a fresh one.
 */
export function showJob(
  tracker: JobTracker,
  job: { jobId: string; title: string; run?: RunRef; cancel: () => void },
  extra: JobListener = {},
): Promise<JobFinishedParams> {
  return new Promise((resolveOutcome) => {
    const bar = new PhaseBar();
    let shown = new JobNotification(job.title, job.cancel);
    tracker.track({
      ...job,
      listeners: [
        extra,
        {
          progress: (p) => {
            const { fresh, increment } = bar.update(p);
            if (fresh) {
              shown.close();
              shown = new JobNotification(job.title, job.cancel);
            }
            shown.report({ increment, message: describeProgress(p) });
          },
          finished: (p) => {
            shown.close();
            resolveOutcome(p);
          },
        },
      ],
    });
  });
}

/** One cancellable progress notification; reports made before VS Code hands over its `progress` wait. */
class JobNotification {
  private progress: vscode.Progress<{ increment?: number; message?: string }> | undefined;
  private readonly pending: { increment?: number; message?: string }[] = [];
  private done: (() => void) | undefined;
  private closed = false;

  constructor(title: string, cancel: () => void) {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DreamBooth: ${title}`, cancellable: true }, (progress, token) => {
      const sub = token.onCancellationRequested(cancel);
      this.progress = progress;
      for (const r of this.pending.splice(0)) progress.report(r);
      return new Promise<void>((done) => {
        this.done = () => {
          sub.dispose();
          done();
        };
        if (this.closed) this.done();
      });
    });
  }

  report(r: { increment?: number; message?: string }): void {
    if (this.progress) this.progress.report(r);
    else this.pending.push(r);
  }

  close(): void {
    this.closed = true;
    this.done?.();
  }
}

/** Shows a job waiting for its turn; resolves true at its turn, false when the user cancels the wait
 *  (then `leave` has taken it out of the queue). */
export function waitInQueue(title: string, behind: string, turn: Promise<boolean>, leave: () => void): Promise<boolean> {
  return Promise.resolve(
    vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `DreamBooth: ${title}`, cancellable: true }, async (progress, token) => {
      progress.report({ message: `waiting for ${behind} to finish (one job at a time on the device)` });
      const sub = token.onCancellationRequested(leave);
      try {
        return await turn;
      } finally {
        sub.dispose();
      }
    }),
  );
}
