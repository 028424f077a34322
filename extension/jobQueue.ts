// One queue for the device: jobs run one at a time in the order they were asked for, so generation
// waits behind training instead of competing for its memory. A second training of the same run is
// refused (it would be refused by the run lock anyway, after the wait). No `vscode` import: unit-tested.

export interface QueuedJob {
  title: string;
  /** A training job's run folder (the concept's output). */
  run?: string;
}

export interface Place<T extends QueuedJob> {
  /** The jobs ahead of this one when it joined (the first is running). */
  ahead: T[];
  /** Resolves true when it may start, false when it left the queue first. */
  turn: Promise<boolean>;
  /** Leaves the queue (finished, failed, or given up while waiting); the next job starts. */
  leave(): void;
}

interface Entry<T> {
  job: T;
  admit(ok: boolean): void;
}

export class JobQueue<T extends QueuedJob = QueuedJob> {
  private readonly entries: Entry<T>[] = [];

  constructor(private readonly onChange: () => void = () => {}) {}

  /** Why `job` may not join: a training of the same run is running or waiting. */
  refusal(job: T): string | undefined {
    if (job.run === undefined) return undefined;
    const i = this.entries.findIndex((e) => e.job.run === job.run);
    if (i < 0) return undefined;
    return `${this.entries[i]!.job.title} is ${i === 0 ? 'already running' : 'already waiting to run'} on this run (${job.run}); cancel it first, or wait for it to finish`;
  }

  join(job: T): Place<T> {
    const refusal = this.refusal(job);
    if (refusal) throw new Error(refusal);
    let admit!: (ok: boolean) => void;
    const turn = new Promise<boolean>((r) => (admit = r));
    const entry: Entry<T> = { job, admit };
    const ahead = this.entries.map((e) => e.job);
    this.entries.push(entry);
    if (this.entries.length === 1) admit(true);
    this.onChange();
    return { ahead, turn, leave: () => this.leave(entry) };
  }

  /** The running job (first), then the waiting ones in order. */
  jobs(): T[] {
    return this.entries.map((e) => e.job);
  }

  /** Where the training of `run` stands: running, waiting, or not in the queue. */
  stateOf(run: string): 'running' | 'queued' | undefined {
    const i = this.entries.findIndex((e) => e.job.run === run);
    return i < 0 ? undefined : i === 0 ? 'running' : 'queued';
  }

  /** Takes the waiting training of `run` out of the queue (its turn resolves false). */
  withdraw(run: string): boolean {
    const i = this.entries.findIndex((e, k) => k > 0 && e.job.run === run);
    if (i < 0) return false;
    this.leave(this.entries[i]!);
    return true;
  }

  private leave(entry: Entry<T>): void {
    const i = this.entries.indexOf(entry);
    if (i < 0) return;
    this.entries.splice(i, 1);
    entry.admit(false); // no-op once admitted
    if (i === 0) this.entries[0]?.admit(true);
    this.onChange();
  }
}
