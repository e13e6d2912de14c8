// The tokenizers in real Chromium (Debian's, driven by playwright-core, kept off the network: the page
// and the tokenizer files come from a local server): the same ids as transformers, as in Node.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, chromiumPath, bundleForBrowser, CHROMIUM_FLAGS } from '../../../tools/chromium.mjs';
import { chromium } from 'playwright-core';
import { SafetensorsReader } from '@cleardit/tensor';
import { FileSource } from '@cleardit/tensor/node';
import { fixture } from './golden.js';

let server: Server;
let url = '';

beforeAll(async () => {
  chromiumPath(); // a clear error when Chromium is missing
  const js = await bundleForBrowser(fileURLToPath(new URL('./browser/tokenizers.ts', import.meta.url)));
  const files: Record<string, string> = {
    '/clip/vocab.json': 'text/clip-tiny/tokenizer/vocab.json',
    '/clip/merges.txt': 'text/clip-tiny/tokenizer/merges.txt',
    '/clip/tokenizer_config.json': 'text/clip-tiny/tokenizer/tokenizer_config.json',
    '/t5/tokenizer.json': 'text/t5-tiny/tokenizer_2/tokenizer.json',
    '/t5/tokenizer_config.json': 'text/t5-tiny/tokenizer_2/tokenizer_config.json',
  };
  server = createServer((req, res) => {
    const file = files[req.url ?? ''];
    if (req.url === '/entry.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else if (file) res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(readFileSync(fixture(file)));
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/entry.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`;
});

afterAll(() => {
  server?.close();
});

async function golden(dir: string) {
  const r = await SafetensorsReader.open(await FileSource.open(join(fixture(dir), 'golden.safetensors')));
  const prompts = JSON.parse(r.metadata.prompts) as string[];
  const ids = await Promise.all(prompts.map(async (_, i) => Array.from(await r.readInt32(`inputs.ids_${i}`))));
  await r.close();
  return { prompts, ids };
}

describe('tokenizers in Chromium', () => {
  it("CLIP and T5 give transformers' ids for the six golden prompts", async () => {
    const clip = await golden('text/clip-tiny');
    const t5 = await golden('text/t5-tiny');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_FLAGS,
      timeout: 60_000,
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForFunction(() => 'tokenize' in globalThis, null, { timeout: 30_000 });
      const got = (await page.evaluate((p) => (globalThis as unknown as { tokenize: (p: string[]) => Promise<unknown> }).tokenize(p), clip.prompts)) as {
        clip: number[][];
        t5: number[][];
      };
      expect(errors).toEqual([]);
      expect(got.clip).toEqual(clip.ids);
      expect(got.t5).toEqual(t5.ids);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
