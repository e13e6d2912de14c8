// Scale-out through a real redis-server (Debian's, started on a loopback port here): a server that
// queues on Redis, two `cleardit worker` processes sharing twenty jobs, one of them killed with
// SIGKILL mid-job — and every job completes exactly once, with its own result.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { QueueEvents } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../src/serve/server.js';
import { QUEUE_NAME, RedisJobs } from '../src/serve/backends.js';
import { DEFAULT_LIMITS } from '../src/serve/requests.js';
import { cleardit, root } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'cleardit-redis-'));
const models = join(dir, 'models');
const children: ChildProcess[] = [];
let redisUrl: string;
let base: string;
let app: FastifyInstance;
let jobs: RedisJobs;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** Starts a process and resolves once a line of its stderr matches `ready`. */
function start(cmd: string, args: string[], ready: RegExp): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd: root });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const look = (c: Buffer) => {
      out += c.toString();
      if (ready.test(out)) resolve(child);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', (code) => reject(new Error(`${cmd} exited (${code}) before it was ready:\n${out}`)));
  });
}

const worker = () =>
  start(
    process.execPath,
    [join(root, 'tools', 'tsrun.mjs'), join(root, 'apps', 'cli', 'src', 'main.ts'), 'worker', '--redis', redisUrl, '--models', models, '--lock-seconds', '3'],
    /taking jobs from/,
  );

beforeAll(async () => {
  const t = cleardit(
    'train',
    '-o',
    join(dir, 'teacher'),
    '--steps',
    '5',
    '--width',
    '16',
    '--depth',
    '1',
    '--heads',
    '2',
    '--batch',
    '4',
    '--sample-every',
    '0',
  );
  expect(t.status, t.stderr).toBe(0);
  mkdirSync(models);
  copyFileSync(join(dir, 'teacher', 'teacher.safetensors'), join(models, 'tiny.safetensors'));
  const port = await freePort();
  redisUrl = `redis://127.0.0.1:${port}`;
  await start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  jobs = new RedisJobs(redisUrl);
  await jobs.ready();
  app = buildServer({ backend: jobs, modelsDir: models, defaultModel: 'tiny', limits: DEFAULT_LIMITS, adapter: 'workers' });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}, 300_000);

afterAll(async () => {
  await app?.close();
  await jobs?.close();
  for (const c of children) c.kill('SIGKILL');
});

describe('cleardit serve --redis with cleardit workers', () => {
  it('two workers share twenty jobs; one is killed mid-job; every job completes exactly once', async () => {
    const completions = new Map<string, number>();
    const events = new QueueEvents(QUEUE_NAME, { connection: { url: redisUrl } });
    await events.waitUntilReady();
    events.on('completed', ({ jobId }) => completions.set(jobId, (completions.get(jobId) ?? 0) + 1));
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    const [a] = await Promise.all([worker(), worker()]);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: String(i % 10), seed: 100 + i, steps: 40 }),
      });
      expect(r.status).toBe(202);
      ids.push(((await r.json()) as { id: string }).id);
    }
    const statuses = async () => Promise.all(ids.map(async (id) => ((await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { status: string }).status));
    // kill a worker once both are busy and some jobs are done: it dies holding a job
    for (let k = 0; k < 600; k++) {
      const s = await statuses();
      if (s.filter((x) => x === 'generating').length === 2 && s.includes('completed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    a.kill('SIGKILL');
    let final: string[] = [];
    for (let k = 0; k < 1200; k++) {
      final = await statuses();
      if (final.every((x) => x === 'completed' || x === 'failed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(final).toEqual(Array(20).fill('completed'));
    await new Promise((r) => setTimeout(r, 500));
    for (const id of ids) expect(completions.get(id), id).toBe(1);
    // the killed worker's job was put back (stalled) and finished by the other
    expect(stalled.length).toBeGreaterThanOrEqual(1);
    expect(ids).toContain(stalled[0]);
    // each result is its own job's: the seed asked for, in the PNG
    for (const [i, id] of ids.entries()) {
      const v = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { result: { data: { b64_json: string; seed: number }[] } };
      expect(v.result.data[0].seed).toBe(100 + i);
      expect(decode(Buffer.from(v.result.data[0].b64_json, 'base64')).text.parameters).toMatch(new RegExp(`Class: ${i % 10}, Seed: ${100 + i}`));
    }
    await events.close();
  }, 300_000);
});
