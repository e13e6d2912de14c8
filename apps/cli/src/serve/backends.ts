// Where the server's jobs run: in this process (one GPU job at a time, JobQueue), or on any number of
// `cleardit worker`s through a BullMQ queue on Redis. Both look the same to the HTTP routes. With
// Redis, a job's progress and result travel through the queue; a worker that dies mid-job loses its
// lock, BullMQ's stalled-job check puts the job back, and another worker runs it (a job completes once).
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Job as BullJob } from 'bullmq';
import { Redis } from 'ioredis';
import { type JobStatus, JobQueue, type Job } from './jobs.js';
import type { ModelHost, Prepared } from './work.js';

export const QUEUE_NAME = 'cleardit-images';
/** The key a cancel sets; a worker polls it and stops its sampling loop. */
export const cancelKey = (id: string) => `cleardit:cancel:${id}`;

export interface JobView {
  id: string;
  status: JobStatus;
  created: number;
  progress: { step: number; total: number };
  result?: { created: number; data: { b64_json: string; seed: number }[] };
  error?: { name: string; message: string };
}

export type JobListener = (e: { type: 'progress'; step: number; total: number } | { type: 'status'; status: JobStatus }) => void;

export interface JobBackend {
  submit(p: Prepared): Promise<JobView>;
  view(id: string): Promise<JobView | undefined>;
  /** Cancels a queued or running job (a running one stops within a step). */
  cancel(id: string): Promise<JobView | undefined>;
  /** Calls `on` for each event until the job ends; resolves with its final view. */
  follow(id: string, on: JobListener): Promise<JobView>;
  depth(): Promise<number>;
  close(): Promise<void>;
}

const ended = (s: JobStatus) => s === 'completed' || s === 'failed' || s === 'cancelled';

/** Jobs in this process, on its own device. */
export class LocalJobs implements JobBackend {
  private readonly queue = new JobQueue();
  constructor(private readonly host: ModelHost) {}

  private viewOf(job: Job): JobView {
    return {
      id: job.id,
      status: job.status,
      created: job.created,
      progress: { step: job.step, total: job.total },
      ...(job.result
        ? {
            result: {
              created: job.created,
              data: job.result.images.map((png, i) => ({ b64_json: Buffer.from(png).toString('base64'), seed: job.result!.seeds[i] })),
            },
          }
        : {}),
      ...(job.error ? { error: job.error } : {}),
    };
  }

  async submit(p: Prepared): Promise<JobView> {
    return this.viewOf(this.queue.submit({ ...p }, (progress, signal) => this.host.run(p, progress, signal)));
  }

  async view(id: string): Promise<JobView | undefined> {
    const job = this.queue.get(id);
    return job && this.viewOf(job);
  }

  async cancel(id: string): Promise<JobView | undefined> {
    const job = this.queue.get(id);
    if (!job) return undefined;
    this.queue.cancel(job);
    return this.viewOf(job);
  }

  async follow(id: string, on: JobListener): Promise<JobView> {
    const job = this.queue.get(id)!;
    if (!job.done) {
      const listener = (e: { type: 'progress' | 'status'; status: JobStatus; step?: number; total?: number }) =>
        e.type === 'progress' ? on({ type: 'progress', step: e.step!, total: e.total! }) : on({ type: 'status', status: e.status });
      job.on('event', listener);
      await job.finished();
      job.off('event', listener);
    }
    return this.viewOf(job);
  }

  async depth(): Promise<number> {
    return this.queue.depth;
  }

  async close(): Promise<void> {}
}

/** What a worker returns for a job (PNG bytes as base64, so it survives the queue's JSON). */
export interface WorkerResult {
  created: number;
  seeds: number[];
  images: string[];
}

/** Jobs through BullMQ on Redis, run by `cleardit worker`s. */
export class RedisJobs implements JobBackend {
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  private readonly redis: Redis;

  constructor(url: string) {
    const connection = { url };
    this.queue = new Queue(QUEUE_NAME, { connection });
    this.events = new QueueEvents(QUEUE_NAME, { connection });
    this.redis = new Redis(url, { maxRetriesPerRequest: null });
  }

  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
  }

  private async viewOf(job: BullJob): Promise<JobView> {
    const state = await job.getState();
    const cancelled = (await this.redis.exists(cancelKey(job.id!))) === 1;
    const status: JobStatus =
      state === 'completed'
        ? 'completed'
        : state === 'failed'
          ? cancelled
            ? 'cancelled'
            : 'failed'
          : state === 'active'
            ? 'generating'
            : cancelled
              ? 'cancelled'
              : 'queued';
    const p = (job.progress ?? {}) as { step?: number; total?: number };
    const r = job.returnvalue as WorkerResult | null;
    return {
      id: job.id!,
      status,
      created: Math.floor(job.timestamp / 1000),
      progress: { step: p.step ?? 0, total: p.total ?? 0 },
      ...(status === 'completed' && r ? { result: { created: r.created, data: r.images.map((b64_json, i) => ({ b64_json, seed: r.seeds[i] })) } } : {}),
      ...(status === 'failed' ? { error: { name: 'JobFailed', message: job.failedReason } } : {}),
    };
  }

  async submit(p: Prepared): Promise<JobView> {
    const job = await this.queue.add('generate', p, { jobId: `job-${randomUUID()}`, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } });
    return this.viewOf(job);
  }

  async view(id: string): Promise<JobView | undefined> {
    const job = await this.queue.getJob(id);
    return job ? this.viewOf(job) : undefined;
  }

  async cancel(id: string): Promise<JobView | undefined> {
    const job = await this.queue.getJob(id);
    if (!job) return undefined;
    // the worker that has it (or takes it next) sees the key and stops within a step
    if (!['completed', 'failed'].includes(await job.getState())) await this.redis.set(cancelKey(id), '1', 'EX', 3600);
    return this.viewOf(job);
  }

  async follow(id: string, on: JobListener): Promise<JobView> {
    const done = async () => {
      const v = await this.view(id);
      return v && ended(v.status) ? v : undefined;
    };
    const now = await done();
    if (now) return now;
    return new Promise<JobView>((resolve) => {
      const progress = ({ jobId, data }: { jobId: string; data: unknown }) => {
        const d = data as { step?: number; total?: number };
        if (jobId === id && d.step !== undefined) on({ type: 'progress', step: d.step, total: d.total ?? 0 });
      };
      const active = ({ jobId }: { jobId: string }) => jobId === id && on({ type: 'status', status: 'generating' });
      const finish = async ({ jobId }: { jobId: string }) => {
        if (jobId !== id) return;
        const v = await this.view(id);
        if (!v || !ended(v.status)) return;
        this.events.off('progress', progress).off('active', active).off('completed', finish).off('failed', finish);
        resolve(v);
      };
      this.events.on('progress', progress).on('active', active).on('completed', finish).on('failed', finish);
      // it may have ended between the first look and the subscription
      void finish({ jobId: id });
    });
  }

  async depth(): Promise<number> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed');
    return (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0);
  }

  async close(): Promise<void> {
    await Promise.all([this.queue.close(), this.events.close()]);
    this.redis.disconnect();
  }
}
