// The Chromium half's page script: the suite's cases (the same definitions and runner as Node) on
// navigator.gpu, then the onnxruntime-web peer on its WebGPU backend. The Node side (../chromium.ts)
// bundles this file, serves it with onnxruntime-web's files under /ort/, and calls __bench.
import { createBrowserDevice } from '@cleardit/tensor';
import { suiteCases } from '../suite/cases.js';
import { runCases } from '../suite/run.js';
import { runOrt, type OrtModule } from '../peers/ort.js';
import type { ResultRow, SkippedRow } from '../suite/case.js';

export interface PageRequest {
  ids: string[];
  version: string;
  callBudgetMs: number;
  budgetMs: number;
  ort: boolean;
}

export interface PageResult {
  adapter: string;
  software: boolean;
  rows: ResultRow[];
  skipped: SkippedRow[];
  log: string[];
}

async function bench(req: PageRequest): Promise<PageResult> {
  const log: string[] = [];
  const say = (line: string) => {
    log.push(line);
    console.log(`bench: ${line}`);
  };
  const wanted = new Set(req.ids);
  const cases = suiteCases().filter((c) => wanted.has(c.id));
  const device = await createBrowserDevice();
  const ours = await runCases(device, cases, {
    runtime: 'chromium',
    version: req.version,
    callBudgetMs: req.callBudgetMs,
    budgetMs: req.budgetMs,
    onProgress: say,
  });
  const adapter = device.adapter.name;
  const software = device.adapter.software;
  device.destroy();
  const result: PageResult = { adapter, software, rows: ours.rows, skipped: ours.skipped, log };
  if (req.ort) {
    try {
      // served from node_modules/onnxruntime-web/dist (not bundled: it loads its .wasm beside itself)
      const ortUrl = '/ort/ort.webgpu.min.mjs';
      const ort = (await import(/* @vite-ignore */ ortUrl)) as OrtModule & { env: { wasm: { wasmPaths: string; numThreads: number } } };
      ort.env.wasm.wasmPaths = '/ort/';
      const peer = await runOrt(ort, cases, {
        impl: 'onnxruntime-web',
        runtime: 'chromium',
        version: ort.env.versions?.web ?? 'unknown',
        adapter: `webgpu (${adapter})`,
        software,
        sessionOptions: { executionProviders: ['webgpu'] },
        callBudgetMs: req.callBudgetMs,
        budgetMs: req.budgetMs,
        onProgress: say,
      });
      result.rows.push(...peer.rows);
      result.skipped.push(...peer.skipped);
    } catch (e) {
      result.skipped.push({ id: '*', impl: 'onnxruntime-web', runtime: 'chromium', reason: `failed to load: ${(e as Error).message}` });
    }
  }
  return result;
}

(globalThis as unknown as { __bench: typeof bench }).__bench = bench;
