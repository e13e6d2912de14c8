// onnxruntime-node on the CPU, for the suite's matmul and full-attention cases (ort.ts times them).
// Loaded at run time so that the suite runs without it; its version and thread count go in the rows.
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { BenchCase, ResultRow, SkippedRow } from '../suite/case.js';
import type { MeasureOptions } from '../suite/measure.js';
import { runOrt, ortRuns, type OrtModule } from './ort.js';

export async function runOrtNode(
  cases: BenchCase[],
  o: MeasureOptions & { callBudgetMs?: number; onProgress?: (line: string) => void } = {},
): Promise<{ rows: ResultRow[]; skipped: SkippedRow[]; adapter: string }> {
  const threads = availableParallelism();
  const adapter = `cpu (${threads} threads)`;
  let ort: OrtModule;
  try {
    ort = createRequire(join(process.cwd(), 'package.json'))('onnxruntime-node') as OrtModule;
  } catch {
    const reason = 'onnxruntime-node is not installed';
    return { rows: [], skipped: cases.filter(ortRuns).map((c) => ({ id: c.id, impl: 'onnxruntime-node', runtime: 'node', reason })), adapter };
  }
  const r = await runOrt(ort, cases, {
    impl: 'onnxruntime-node',
    runtime: 'node',
    version: ort.env.versions?.node ?? 'unknown',
    adapter,
    software: true,
    sessionOptions: { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' },
    callBudgetMs: o.callBudgetMs,
    budgetMs: o.budgetMs,
    onProgress: o.onProgress,
  });
  return { ...r, adapter };
}
