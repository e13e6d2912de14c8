// `cleardit serve`'s HTTP API on Fastify:
//   POST /v1/images/generations   OpenAI's images API (b64_json PNGs); waits for its turn in the queue
//   POST /v1/jobs                 the same body as an asynchronous job → 202 {id, status}
//   GET  /v1/jobs/{id}            status (queued | generating | completed | failed | cancelled), progress, result
//   POST /v1/jobs/{id}/cancel     stops it within a step
//   GET  /v1/jobs/{id}/events     server-sent events: status and every step
//   GET  /v1/models, GET /health
// Models come only from the configured folder, by id; one GPU job runs at a time.
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import type { Device } from '@cleardit/tensor';
import { DitTransformer } from '@cleardit/models';
import { encodePng } from '../generate/png.js';
import { bundledModel } from '../generate/spec.js';
import { loadPipeline, pngText, runPipeline, type Pipeline } from '../generate/pipeline.js';
import type { Reporter } from '../generate/progress.js';
import { type Job, type JobEvent, type JobResult, JobQueue } from './jobs.js';
import { type GenerationRequest, type Limits, RequestError, generationSchema, modelIds, modelPath, specOf } from './requests.js';

export interface ServerOptions {
  device: Device;
  modelsDir: string;
  defaultModel: string;
  limits: Limits;
}

const errorBody = (message: string, param: string | null, type = 'invalid_request_error') => ({ error: { message, type, param, code: null } });

export function buildServer(o: ServerOptions): { app: FastifyInstance; queue: JobQueue } {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } } });
  const queue = new JobQueue();
  const pipelines = new Map<string, Promise<Pipeline>>();
  const pipeline = (id: string) => {
    let p = pipelines.get(id);
    if (!p) pipelines.set(id, (p = loadPipeline(o.device, { model: modelPath(o.modelsDir, id) })));
    p.catch(() => pipelines.delete(id));
    return p;
  };

  // a request becomes a job: validated now (4xx), run in turn
  const submit = async (body: GenerationRequest): Promise<Job> => {
    const id = body.model ?? o.defaultModel;
    if (!modelIds(o.modelsDir).includes(id)) throw new RequestError('model', `model '${id}' is not served here (GET /v1/models lists them)`, 404);
    const p = await pipeline(id);
    const m = p.transformer.model;
    const classes = m instanceof DitTransformer ? m.config.numClasses : undefined;
    const seed = body.seed ?? Math.floor(Math.random() * 2 ** 32);
    const path = modelPath(o.modelsDir, id);
    const spec = specOf(body, bundledModel(id) === path ? id : path, classes, seed, o.limits);
    if (p.pixels && m instanceof DitTransformer) {
      // what runDigits would refuse after queueing, refused now as a 400
      const [w, h] = [spec.width ?? m.config.inputSize, spec.height ?? spec.width ?? m.config.inputSize];
      if (w !== h || w % m.config.patchSize) throw new RequestError('size', `size ${w}x${h}: this model draws square images, a multiple of ${m.config.patchSize} pixels a side`);
    }
    return queue.submit({ ...body }, async (progress, signal): Promise<JobResult> => {
      const report: Reporter = { info() {}, start() {}, step: (step, total) => progress(step, total), done() {} };
      const g = await runPipeline(o.device, p, spec, report, signal);
      g.latent?.dispose();
      const seeds = g.pictures.map((_, i) => spec.seed + i);
      return { seeds, images: g.pictures.map((px, i) => encodePng(px, g.width, g.height, pngText(o.device, p, spec, g, seeds[i], 1), g.channels)) };
    });
  };
  const images = (job: Job) => ({ created: job.created, data: job.result!.images.map((png, i) => ({ b64_json: Buffer.from(png).toString('base64'), seed: job.result!.seeds[i] })) });
  const view = (job: Job) => ({
    id: job.id,
    status: job.status,
    created: job.created,
    progress: { step: job.step, total: job.total },
    ...(job.status === 'completed' ? { result: images(job) } : {}),
    ...(job.error ? { error: job.error } : {}),
  });
  const find = (id: string) => {
    const job = queue.get(id);
    if (!job) throw new RequestError('id', `no job '${id}'`, 404);
    return job;
  };

  app.setErrorHandler((e: FastifyError | RequestError, _req, reply) => {
    if (e instanceof RequestError) return reply.status(e.status).send(errorBody(e.message, e.param, e.status === 404 ? 'not_found_error' : 'invalid_request_error'));
    const fe = e as FastifyError & { validation?: { instancePath: string; params?: Record<string, unknown> }[] };
    if (fe.validation?.length) {
      const v = fe.validation[0];
      const param = v.params?.missingProperty ?? v.params?.additionalProperty ?? v.instancePath.replace(/^\//, '').split('/')[0];
      return reply.status(400).send(errorBody(fe.message, String(param || '') || null));
    }
    if (fe.statusCode && fe.statusCode < 500) return reply.status(fe.statusCode).send(errorBody(fe.message, null));
    return reply.status(500).send(errorBody(`${e.name}: ${e.message}`, null, 'server_error'));
  });

  const body = { body: generationSchema(o.limits) };
  app.get('/health', async () => ({ status: 'ok', queue: queue.depth, adapter: o.device.adapter.name }));
  app.get('/v1/models', async () => ({ object: 'list', data: modelIds(o.modelsDir).map((id) => ({ id, object: 'model', created: 0, owned_by: 'cleardit' })) }));
  app.post('/v1/images/generations', { schema: body }, async (req, reply) => {
    const job = await (await submit(req.body as GenerationRequest)).finished();
    if (job.status === 'completed') return images(job);
    return reply.status(job.status === 'cancelled' ? 409 : 500).send(errorBody(job.error ? `${job.error.name}: ${job.error.message}` : `job ${job.status}`, null, 'server_error'));
  });
  app.post('/v1/jobs', { schema: body }, async (req, reply) => {
    const job = await submit(req.body as GenerationRequest);
    return reply.status(202).send(view(job));
  });
  app.get('/v1/jobs/:id', async (req) => view(find((req.params as { id: string }).id)));
  app.post('/v1/jobs/:id/cancel', async (req) => {
    const job = find((req.params as { id: string }).id);
    queue.cancel(job);
    return view(job);
  });
  app.get('/v1/jobs/:id/events', (req, reply) => {
    const job = find((req.params as { id: string }).id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const end = () => {
      send(job.status, view(job));
      res.end();
    };
    send('status', { id: job.id, status: job.status, progress: { step: job.step, total: job.total } });
    if (job.done) return end();
    const on = (e: JobEvent) => {
      if (e.type === 'progress') send('progress', { id: job.id, step: e.step, total: e.total });
      else if (job.done) {
        job.off('event', on);
        end();
      } else send('status', { id: job.id, status: e.status });
    };
    job.on('event', on);
    req.raw.on('close', () => job.off('event', on));
  });
  return { app, queue };
}
