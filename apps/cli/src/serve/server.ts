// `cleardit serve`'s HTTP API on Fastify:
//   POST /v1/images/generations   OpenAI's images API (b64_json PNGs); waits for its turn in the queue
//   POST /v1/jobs                 the same body as an asynchronous job → 202 {id, status}
//   GET  /v1/jobs/{id}            status (queued | generating | completed | failed | cancelled), progress, result
//   POST /v1/jobs/{id}/cancel     stops it within a step
//   GET  /v1/jobs/{id}/events     server-sent events: status and every step
//   GET  /v1/models, GET /health
// Models come only from the configured folder, by id. Jobs run on a JobBackend: this process's
// device (one job at a time, in order) or workers behind a Redis queue (backends.ts).
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import type { JobBackend, JobView } from './backends.js';
import { prepare } from './work.js';
import { type GenerationRequest, type Limits, RequestError, generationSchema, modelIds } from './requests.js';

export interface ServerOptions {
  backend: JobBackend;
  modelsDir: string;
  defaultModel: string;
  limits: Limits;
  /** Shown by /health. */
  adapter: string;
}

const errorBody = (message: string, param: string | null, type = 'invalid_request_error') => ({ error: { message, type, param, code: null } });

export function buildServer(o: ServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } } });
  const jobs = o.backend;
  const submit = async (body: GenerationRequest) => jobs.submit(await prepare(o.modelsDir, o.defaultModel, body, o.limits));
  const find = async (id: string): Promise<JobView> => {
    const v = await jobs.view(id);
    if (!v) throw new RequestError('id', `no job '${id}'`, 404);
    return v;
  };

  app.setErrorHandler((e: FastifyError | RequestError, _req, reply) => {
    if (e instanceof RequestError)
      return reply.status(e.status).send(errorBody(e.message, e.param, e.status === 404 ? 'not_found_error' : 'invalid_request_error'));
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
  app.get('/health', async () => ({ status: 'ok', queue: await jobs.depth(), adapter: o.adapter }));
  app.get('/v1/models', async () => ({ object: 'list', data: modelIds(o.modelsDir).map((id) => ({ id, object: 'model', created: 0, owned_by: 'cleardit' })) }));
  app.post('/v1/images/generations', { schema: body }, async (req, reply) => {
    const job = await submit(req.body as GenerationRequest);
    const v = await jobs.follow(job.id, () => {});
    if (v.status === 'completed') return v.result;
    return reply
      .status(v.status === 'cancelled' ? 409 : 500)
      .send(errorBody(v.error ? `${v.error.name}: ${v.error.message}` : `job ${v.status}`, null, 'server_error'));
  });
  app.post('/v1/jobs', { schema: body }, async (req, reply) => reply.status(202).send(await submit(req.body as GenerationRequest)));
  app.get('/v1/jobs/:id', async (req) => find((req.params as { id: string }).id));
  app.post('/v1/jobs/:id/cancel', async (req) => {
    const id = (req.params as { id: string }).id;
    await find(id);
    return jobs.cancel(id);
  });
  app.get('/v1/jobs/:id/events', async (req, reply) => {
    const first = await find((req.params as { id: string }).id);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('status', { id: first.id, status: first.status, progress: first.progress });
    let open = true;
    req.raw.on('close', () => (open = false));
    const last = await jobs.follow(first.id, (e) => {
      if (!open) return;
      if (e.type === 'progress') send('progress', { id: first.id, step: e.step, total: e.total });
      else send('status', { id: first.id, status: e.status });
    });
    if (open) {
      send(last.status, last);
      res.end();
    }
  });
  return app;
}
