// `cleardit serve` as a real server on a loopback port, serving a tiny digit model trained here:
// OpenAI's images API (n: 2 gives two PNGs; a seed gives the bytes `cleardit generate` writes), ten
// concurrent requests all answered and jobs run in order, every malformed body a 4xx naming its field,
// models only from the folder, and a cancelled job stopping within a step.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import type { Device } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { buildServer } from '../src/serve/server.js';
import { LocalJobs } from '../src/serve/backends.js';
import { ModelHost } from '../src/serve/work.js';
import { DEFAULT_LIMITS } from '../src/serve/requests.js';
import { cleardit } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'cleardit-serve-'));
const models = join(dir, 'models');
let device: Device;
let base: string;
let close: () => Promise<void>;

const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

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
  device = await createDevice();
  const app = buildServer({
    backend: new LocalJobs(new ModelHost(device, models)),
    modelsDir: models,
    defaultModel: 'tiny',
    limits: DEFAULT_LIMITS,
    adapter: device.adapter.name,
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  close = () => app.close();
}, 300_000);
afterAll(async () => {
  await close?.();
  device?.destroy();
});

describe('cleardit serve', () => {
  it("GET /health and /v1/models list only the folder's models", async () => {
    expect(await (await fetch(`${base}/health`)).json()).toMatchObject({ status: 'ok' });
    expect(await (await fetch(`${base}/v1/models`)).json()).toEqual({
      object: 'list',
      data: [{ id: 'tiny', object: 'model', created: 0, owned_by: 'cleardit' }],
    });
  });

  it('POST /v1/images/generations with n: 2 returns two PNGs, each with its seed', async () => {
    const r = await post('/v1/images/generations', { prompt: 'seven', n: 2, seed: 11, steps: 3, response_format: 'b64_json', output_format: 'png' });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { created: number; data: { b64_json: string; seed: number }[] };
    expect(j.data.map((d) => d.seed)).toEqual([11, 12]);
    for (const d of j.data) {
      const png = decode(Buffer.from(d.b64_json, 'base64'));
      expect([png.width, png.height, png.channels]).toEqual([32, 32, 1]);
      expect(png.text.parameters).toMatch(new RegExp(`Class: 7, Seed: ${d.seed}`));
    }
  });

  it('a seed gives the bytes cleardit generate writes for the same request', async () => {
    const r = await post('/v1/images/generations', { prompt: '3', seed: 5, steps: 4 });
    const served = Buffer.from(((await r.json()) as { data: { b64_json: string }[] }).data[0].b64_json, 'base64');
    const c = cleardit('generate', '-m', join(models, 'tiny.safetensors'), '--class', '3', '-s', '5', '--steps', '4', '-o', join(dir, 'cli.png'));
    expect(c.status, c.stderr).toBe(0);
    expect(served.equals(readFileSync(join(dir, 'cli.png')))).toBe(true);
  });

  it('ten concurrent requests are all answered; jobs run one at a time, in the order they came', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => post('/v1/images/generations', { prompt: String(i), seed: i, steps: 2 })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const jobs: string[] = [];
    for (let i = 0; i < 5; i++) jobs.push(((await (await post('/v1/jobs', { prompt: String(i), seed: i, steps: 2 })).json()) as { id: string }).id);
    const finished: string[] = [];
    await Promise.all(
      jobs.map(async (id) => {
        for (;;) {
          const v = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { status: string };
          if (v.status === 'completed') return void finished.push(id);
          expect(['queued', 'generating']).toContain(v.status);
          await new Promise((r) => setTimeout(r, 20));
        }
      }),
    );
    expect(finished).toEqual(jobs);
  }, 120_000);

  it('every malformed body is a 4xx naming the field', async () => {
    const cases: [unknown, number, string][] = [
      [{}, 400, 'prompt'],
      [{ prompt: 3 }, 400, 'prompt'],
      [{ prompt: '3', n: '2' }, 400, 'n'],
      [{ prompt: '3', n: 1000 }, 400, 'n'],
      [{ prompt: '3', n: -1 }, 400, 'n'],
      [{ prompt: '3', size: '-32x32' }, 400, 'size'],
      [{ prompt: '3', size: '4096x4096' }, 400, 'size'],
      [{ prompt: '3', size: '32x64' }, 400, 'size'],
      [{ prompt: '3', steps: 0 }, 400, 'steps'],
      [{ prompt: '3', model: '../../etc/passwd' }, 400, 'model'],
      [{ prompt: '3', model: 'nope' }, 404, 'model'],
      [{ prompt: '3', response_format: 'url' }, 400, 'response_format'],
      [{ prompt: '3', colour: 'red' }, 400, 'colour'],
      [{ prompt: 'a red fox' }, 400, 'prompt'],
    ];
    for (const [body, status, param] of cases) {
      const r = await post('/v1/images/generations', body);
      const j = (await r.json()) as { error: { param: string; message: string } };
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(j.error.param, `${JSON.stringify(body)}: ${j.error.message}`).toBe(param);
    }
    const bad = await fetch(`${base}/v1/images/generations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt": ' });
    expect(bad.status).toBe(400);
  });

  it('a cancelled job stops within a step; its events show the steps, then the cancellation', async () => {
    const { id } = (await (await post('/v1/jobs', { prompt: '1', seed: 3, steps: 100 })).json()) as { id: string };
    const res = await fetch(`${base}/v1/jobs/${id}/events`);
    const reader = res.body!.getReader();
    let text = '';
    let cancelledAt = -1; // the step the job had reached when the server took the cancel
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      const steps = [...text.matchAll(/event: progress\ndata: (\{[^\n]*\})/g)].map((m) => JSON.parse(m[1]).step as number);
      if (cancelledAt < 0 && steps.length && steps[steps.length - 1] >= 2) {
        const v = (await (await post(`/v1/jobs/${id}/cancel`, {})).json()) as { progress: { step: number } };
        cancelledAt = v.progress.step;
      }
    }
    expect(text).toMatch(/event: cancelled\n/);
    const v = (await (await fetch(`${base}/v1/jobs/${id}`)).json()) as { status: string; progress: { step: number } };
    expect(v.status).toBe('cancelled');
    expect(v.progress.step).toBeLessThanOrEqual(cancelledAt + 1);
    expect(v.progress.step).toBeLessThan(100);
  }, 120_000);
});
