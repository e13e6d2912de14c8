// The browser bundle in real Chromium (Debian's, driven by playwright-core): the ops run on
// navigator.gpu and agree with the float64 references, and seeded noise is bit-identical to Node's.
// Two adapters: SwiftShader (Chromium's default without a GPU) and ANGLE on llvmpipe (compat mode).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, chromiumPath, bundleForBrowser, CHROMIUM_FLAGS, CHROMIUM_ADAPTERS } from '../../../tools/chromium.mjs';
import { normalValues, ref } from '../src/index.js';
import { maxAbsDiff } from './helpers.js';

const FLAGS = CHROMIUM_FLAGS;
const MODES: Record<string, string[]> = CHROMIUM_ADAPTERS;

let server: Server;
let url = '';

beforeAll(async () => {
  chromiumPath(); // a clear error when Chromium is missing
  const js = await bundleForBrowser(fileURLToPath(new URL('./browser/entry.ts', import.meta.url)));
  server = createServer((req, res) => {
    if (req.url === '/entry.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/entry.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
});

afterAll(async () => {
  server?.close();
});

type Result = Record<string, number[]> & { adapter: { name: string; featureLevel: string }; timer: { available: boolean; gpuMs: number; wallMs: number } };

async function runIn(mode: string): Promise<Result> {
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, ...MODES[mode]], timeout: 60_000 });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => 'runCase' in globalThis, null, { timeout: 30_000 });
    const r = (await page.evaluate(() => (globalThis as unknown as { runCase: () => Promise<unknown> }).runCase())) as Result;
    expect(errors).toEqual([]);
    return r;
  } finally {
    await browser?.close();
  }
}

const h = (shape: number[], v: ArrayLike<number>) => ref.host(shape, v);

for (const mode of Object.keys(MODES))
  describe(`in Chromium (${mode})`, () => {
    it('runs the ops on navigator.gpu, matching the references and Node', async () => {
      const r = await runIn(mode);
      expect(r.adapter.name).toBeTruthy();
      // seeded noise: bit-identical to Node, on the host and uploaded
      expect(r.normals).toEqual(Array.from(normalValues(123, 64)));
      expect(r.randn).toEqual(Array.from(normalValues(123, 64)));
      const a = h([33, 17], normalValues(1, 33 * 17));
      const b = h([17, 9], normalValues(2, 17 * 9));
      const x = h([4, 129], normalValues(3, 4 * 129));
      const img = h([2, 3, 7, 5], normalValues(4, 210));
      const w = h([4, 3, 3, 3], normalValues(5, 108));
      expect(maxAbsDiff(r.matmul, ref.matmul(a, b).data)).toBeLessThan(5e-5);
      expect(maxAbsDiff(r.softmax, ref.softmax(x).data)).toBeLessThan(1e-6);
      expect(maxAbsDiff(r.layerNorm, ref.layerNorm(x, { eps: 1e-6 }).data)).toBeLessThan(2e-5);
      expect(maxAbsDiff(r.gelu, ref.unary('gelu_tanh', x).data)).toBeLessThan(1e-5);
      expect(maxAbsDiff(r.sin, [700.25, -3141.5, 0.5].map(Math.sin))).toBeLessThan(5e-7);
      expect(maxAbsDiff(r.conv, ref.conv2d(img, w, { padding: 1 }).data)).toBeLessThan(5e-5);
      // SwiftShader has timestamp queries: the GPU timer's sum is positive and within the wall time
      if (mode === 'swiftshader') expect(r.timer.available).toBe(true);
      if (r.timer.available) {
        expect(r.timer.gpuMs).toBeGreaterThan(0);
        expect(r.timer.gpuMs).toBeLessThanOrEqual(r.timer.wallMs);
      }
    });
  });
