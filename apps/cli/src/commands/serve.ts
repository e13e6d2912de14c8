// `cleardit serve`: a local image server in the conventions users know (OpenAI's images API and
// stable-diffusion.cpp-style asynchronous jobs with server-sent progress), bound to 127.0.0.1.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDevice } from '@cleardit/tensor/node';
import { UsageError } from '../exit.js';
import { intAtLeast } from '../parse.js';
import { DEFAULT_MODEL, cliRoot } from '../generate/spec.js';
import type { Device } from '@cleardit/tensor';
import { buildServer } from '../serve/server.js';
import { type JobBackend, LocalJobs, RedisJobs } from '../serve/backends.js';
import { ModelHost } from '../serve/work.js';
import { DEFAULT_LIMITS, modelIds } from '../serve/requests.js';

export function serveCommand(program: Command): void {
  const L = DEFAULT_LIMITS;
  program
    .command('serve')
    .description('serve images over HTTP: OpenAI /v1/images/generations, asynchronous jobs with progress events')
    .option('--host <addr>', 'address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
    .option('--port <n>', 'port (0: any free one, printed)', '7860')
    .option('--models <dir>', 'the folder of models it serves (*.safetensors, by file name); requests name them, never a path', join(cliRoot(), 'models'))
    .option('--default-model <id>', 'the model a request without "model" gets', DEFAULT_MODEL)
    .option('--max-n <n>', 'most images in one request', String(L.maxN))
    .option('--max-size <px>', 'largest image side in pixels', String(L.maxSize))
    .option('--max-steps <n>', 'most sampling steps in one request', String(L.maxSteps))
    .option('--redis <url>', 'hand jobs to `cleardit worker`s through a BullMQ queue on this Redis (redis://host:port) instead of running them here')
    .addHelpText(
      'after',
      `
Endpoints:
  POST /v1/images/generations  {"prompt": "7", "n": 2, "size": "32x32", "response_format": "b64_json"}
                               → {"created", "data": [{"b64_json", "seed"}]}  (OpenAI's shape)
  POST /v1/jobs                the same body → 202 {"id", "status": "queued"}
  GET  /v1/jobs/ID             {"status": queued|generating|completed|failed|cancelled, "progress", "result"}
  POST /v1/jobs/ID/cancel      stops the job within one sampling step
  GET  /v1/jobs/ID/events      server-sent events: status, then every step, then the result
  GET  /v1/models, GET /health
A class-conditional model takes its class from the prompt ("7", "seven", "class 207"). Extra
fields: seed (random when absent; each image's seed is returned and recorded in its PNG), steps,
cfg_scale. One job runs on the GPU at a time; the rest wait in order. A bad field is a 400 naming it.

With --redis, jobs go through a BullMQ queue to any number of \`cleardit worker --redis URL\` processes
on any machines (each with the same --models folder); progress and results come back through the
queue, and a job whose worker dies is taken up by another.

Example:
  cleardit serve --port 7860 &
  curl -s localhost:7860/v1/images/generations -H 'content-type: application/json' \\
    -d '{"prompt": "3", "seed": 1}' | jq -r '.data[0].b64_json' | base64 -d > three.png`,
    )
    .action(async (opts: Record<string, string>, cmd: Command) => {
      if (!existsSync(opts.models)) throw new UsageError(`--models ${opts.models}: no such folder`);
      const ids = modelIds(opts.models);
      if (!ids.includes(opts.defaultModel))
        throw new UsageError(`--default-model ${opts.defaultModel}: not in ${opts.models} (it has ${ids.join(', ') || 'no models'})`);
      const limits = {
        maxN: intAtLeast('--max-n', opts.maxN),
        maxSize: intAtLeast('--max-size', opts.maxSize),
        maxSteps: intAtLeast('--max-steps', opts.maxSteps),
      };
      // with --redis the workers hold the models and the GPU; this process only validates and queues
      let backend: JobBackend;
      let device: Device | undefined;
      let where: string;
      if (opts.redis) {
        const r = new RedisJobs(opts.redis);
        await r.ready();
        [backend, where] = [r, `queue on ${opts.redis}`];
      } else {
        device = await createDevice({ adapter: cmd.optsWithGlobals().adapter });
        [backend, where] = [new LocalJobs(new ModelHost(device, opts.models)), `adapter: ${device.adapter.name}`];
      }
      const app = buildServer({ backend, modelsDir: opts.models, defaultModel: opts.defaultModel, limits, adapter: device?.adapter.name ?? 'workers' });
      const address = await app.listen({ host: opts.host, port: intAtLeast('--port', opts.port, 0) });
      process.stderr.write(`cleardit serve: listening on ${address} (models: ${ids.join(', ')}; ${where})\n`);
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const)
          process.once(sig, () => {
            process.stderr.write('cleardit serve: stopping\n');
            void app
              .close()
              .then(() => backend.close())
              .then(resolve);
          });
      });
      device?.destroy();
    });
}
