// The Chromium half: bundles the page script (browser/page.ts) with esbuild, serves it on 127.0.0.1
// beside onnxruntime-web's files, opens it in Debian's Chromium through playwright-core with WebGPU
// on (SwiftShader unless told otherwise), and returns what the page measured. Every request to
// anything but this server is refused, so a run measures the machine, not the network.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PageRequest, PageResult } from './browser/page.js';
import { CHROMIUM_FLAGS, CHROMIUM_ADAPTERS, chromiumPath, bundleForBrowser } from '../../tools/chromium.mjs';

export { CHROMIUM_ADAPTERS };

const here = dirname(fileURLToPath(import.meta.url));
const require_ = createRequire(join(benchmarksDir(), 'package.json'));

/** The benchmarks package folder, from the working directory or from this (bundled) module up. */
function benchmarksDir(): string {
  for (const start of [process.cwd(), here])
    for (let dir = start; dirname(dir) !== dir; dir = dirname(dir))
      for (const d of [dir, join(dir, 'benchmarks')]) if (existsSync(join(d, 'src', 'browser', 'page.ts'))) return d;
  throw new Error('benchmarks/src/browser/page.ts not found from the working directory');
}

const bundlePage = () => bundleForBrowser(join(benchmarksDir(), 'src', 'browser', 'page.ts'));

const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json' };

function serve(js: string, ortDir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    // cross-origin isolation, so onnxruntime-web may use threads like any production page would
    const headers = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/page.js') return void res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(js);
    if (path.startsWith('/ort/')) {
      const file = normalize(join(ortDir, path.slice(5)));
      if (!file.startsWith(ortDir) || !existsSync(file)) return void res.writeHead(404).end();
      return void res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
    }
    res
      .writeHead(200, { ...headers, 'content-type': 'text/html' })
      .end('<!doctype html><title>cleardit benchmarks</title><script type="module" src="/page.js"></script>');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
    }),
  );
}

export interface ChromiumOptions extends PageRequest {
  adapter: string;
  onProgress?: (line: string) => void;
  /** Milliseconds for the whole page run. */
  timeoutMs?: number;
}

export async function runInChromium(o: ChromiumOptions): Promise<PageResult & { browser: string }> {
  const executablePath = chromiumPath();
  const flags = (CHROMIUM_ADAPTERS as Record<string, string[]>)[o.adapter];
  if (!flags) throw new Error(`unknown Chromium adapter '${o.adapter}'; known: ${Object.keys(CHROMIUM_ADAPTERS).join(', ')}`);
  const { chromium } = require_('playwright-core') as typeof import('playwright-core');
  const ortDir = join(benchmarksDir(), 'node_modules', 'onnxruntime-web', 'dist');
  if (!existsSync(ortDir)) throw new Error(`onnxruntime-web is not installed (${ortDir}); pnpm install`);
  const { server, url } = await serve(await bundlePage(), ortDir);
  const browser = await chromium.launch({ executablePath, args: [...CHROMIUM_FLAGS, '--enable-webgpu-developer-features', ...flags], timeout: 60_000 });
  try {
    const page = await browser.newPage();
    await page.route('**/*', (route) => (route.request().url().startsWith(url) ? route.continue() : route.abort()));
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.text().startsWith('bench: ') && o.onProgress?.(m.text().slice(7)));
    page.setDefaultTimeout(o.timeoutMs ?? 30 * 60_000);
    await page.goto(url);
    await page.waitForFunction(() => '__bench' in globalThis, null, { timeout: 60_000 });
    const req: PageRequest = { ids: o.ids, version: o.version, callBudgetMs: o.callBudgetMs, budgetMs: o.budgetMs, ort: o.ort };
    const result = (await page.evaluate((r) => (globalThis as unknown as { __bench: (r: PageRequest) => Promise<PageResult> }).__bench(r), req)) as PageResult;
    if (errors.length) throw new Error(`the benchmark page failed: ${errors.join('; ')}`);
    return { ...result, browser: `Chromium ${browser.version()}` };
  } finally {
    await browser.close();
    server.close();
  }
}
