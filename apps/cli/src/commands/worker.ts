// `cleardit worker --redis URL`: takes generation jobs from the BullMQ queue `cleardit serve --redis`
// fills, runs them on this machine's adapter, and sends progress and PNGs back through the queue.
// A job cancelled through the server stops within a step. If this process dies mid-job, its lock
// on the job lapses (--lock-seconds) and BullMQ hands the job to another worker.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { createDevice } from '@cleardit/tensor/node';
import { UsageError } from '../exit.js';
import { intAtLeast } from '../parse.js';
import { cliRoot } from '../generate/spec.js';
import { ModelHost, type Prepared } from '../serve/work.js';
import { QUEUE_NAME, cancelKey, type WorkerResult } from '../serve/backends.js';

export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description('run generation jobs from a Redis queue (filled by cleardit serve --redis)')
    .requiredOption('--redis <url>', 'the Redis the server queues on (redis://host:port)')
    .option('--models <dir>', "the models folder (the same files as the server's)", join(cliRoot(), 'models'))
    .option('--lock-seconds <n>', "how long a job stays this worker's without a heartbeat; after a crash, the wait before another worker takes it", '30')
    .addHelpText(
      'after',
      `
One job at a time per worker; run one worker per GPU, on as many machines as you like.

Example:
  cleardit serve --redis redis://127.0.0.1:6379 &
  cleardit worker --redis redis://127.0.0.1:6379`,
    )
    .action(async (opts: Record<string, string>, cmd: Command) => {
      if (!existsSync(opts.models)) throw new UsageError(`--models ${opts.models}: no such folder`);
      const lock = intAtLeast('--lock-seconds', opts.lockSeconds) * 1000;
      const device = await createDevice({ adapter: cmd.optsWithGlobals().adapter });
      const host = new ModelHost(device, opts.models);
      const redis = new Redis(opts.redis, { maxRetriesPerRequest: null });
      const worker = new Worker(
        QUEUE_NAME,
        async (job: Job<Prepared>): Promise<WorkerResult> => {
          if (await redis.exists(cancelKey(job.id!))) throw new UnrecoverableError('cancelled');
          const abort = new AbortController();
          const poll = setInterval(() => void redis.exists(cancelKey(job.id!)).then((n) => n && abort.abort(new Error('cancelled'))), 200);
          try {
            const r = await host.run(job.data, (step, total) => void job.updateProgress({ step, total }), abort.signal);
            return { created: Math.floor(Date.now() / 1000), seeds: r.seeds, images: r.images.map((png) => Buffer.from(png).toString('base64')) };
          } catch (e) {
            // a cancelled job is not retried; anything else fails as it is
            if (abort.signal.aborted) throw new UnrecoverableError('cancelled');
            throw e;
          } finally {
            clearInterval(poll);
          }
        },
        { connection: { url: opts.redis }, concurrency: 1, lockDuration: lock, stalledInterval: Math.max(1000, lock / 2) },
      );
      await worker.waitUntilReady();
      process.stderr.write(`cleardit worker: taking jobs from ${opts.redis} (${device.adapter.name})\n`);
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const)
          process.once(sig, () => {
            process.stderr.write('cleardit worker: finishing the current job, then stopping\n');
            void worker.close().then(resolve);
          });
      });
      redis.disconnect();
      await host.dispose();
      device.destroy();
    });
}
