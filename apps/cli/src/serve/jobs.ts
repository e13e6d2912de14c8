// The server's job queue: one GPU job at a time, the rest waiting in the order they came. A job is
// queued → generating → completed | failed | cancelled; each change and each sampling step is an
// event its listeners (server-sent events, a waiting HTTP request) receive. Cancelling a queued job
// removes it; cancelling a running one aborts its sampling loop, which stops between two steps.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

export type JobStatus = 'queued' | 'generating' | 'completed' | 'failed' | 'cancelled';

export interface JobResult {
  /** PNG bytes, one per image. */
  images: Uint8Array[];
  seeds: number[];
}

export interface JobEvent {
  type: 'status' | 'progress';
  status: JobStatus;
  step?: number;
  total?: number;
}

/** The work a job does: it reports steps and honours the signal. */
export type JobWork = (progress: (step: number, total: number) => void, signal: AbortSignal) => Promise<JobResult>;

export class Job extends EventEmitter {
  readonly id = `job-${randomUUID()}`;
  readonly created = Math.floor(Date.now() / 1000);
  status: JobStatus = 'queued';
  step = 0;
  total = 0;
  result?: JobResult;
  error?: { name: string; message: string };
  readonly abort = new AbortController();

  constructor(
    readonly request: Record<string, unknown>,
    readonly work: JobWork,
  ) {
    super();
  }

  get done(): boolean {
    return this.status === 'completed' || this.status === 'failed' || this.status === 'cancelled';
  }

  set(status: JobStatus): void {
    this.status = status;
    this.emit('event', { type: 'status', status } satisfies JobEvent);
  }

  /** Resolves when the job has ended, whichever way. */
  finished(): Promise<Job> {
    return this.done ? Promise.resolve(this) : new Promise((resolve) => this.on('event', (e: JobEvent) => e.type === 'status' && this.done && resolve(this)));
  }
}

export class JobQueue {
  private readonly jobs = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  private running: Job | undefined;

  constructor(
    /** Finished jobs kept for GET /jobs/{id}, oldest dropped first. */
    private readonly keep = 256,
  ) {}

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  get depth(): number {
    return this.waiting.length + (this.running ? 1 : 0);
  }

  submit(request: Record<string, unknown>, work: JobWork): Job {
    const job = new Job(request, work);
    this.jobs.set(job.id, job);
    this.waiting.push(job);
    this.prune();
    void this.next();
    return job;
  }

  /** Cancels a queued or running job; false when it had already ended. */
  cancel(job: Job): boolean {
    if (job.done) return false;
    const at = this.waiting.indexOf(job);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      job.set('cancelled');
    } else job.abort.abort(new Error('cancelled'));
    return true;
  }

  private async next(): Promise<void> {
    if (this.running) return;
    const job = this.waiting.shift();
    if (!job) return;
    this.running = job;
    job.set('generating');
    try {
      job.result = await job.work((step, total) => {
        [job.step, job.total] = [step, total];
        job.emit('event', { type: 'progress', status: job.status, step, total } satisfies JobEvent);
      }, job.abort.signal);
      job.set('completed');
    } catch (e) {
      const err = e as Error;
      if (job.abort.signal.aborted) job.set('cancelled');
      else {
        job.error = { name: err.name, message: err.message };
        job.set('failed');
      }
    } finally {
      this.running = undefined;
      void this.next();
    }
  }

  private prune(): void {
    const ended = [...this.jobs.values()].filter((j) => j.done);
    for (const j of ended.slice(0, Math.max(0, ended.length - this.keep))) this.jobs.delete(j.id);
  }
}
