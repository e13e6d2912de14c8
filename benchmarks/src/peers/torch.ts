// Runs the PyTorch peer (peers/bench_torch.py) on the suite's cases, when python3 has torch. It is a
// peer a user would pick instead, never a dependency: without it the rows are listed as skipped.
import { spawn } from 'node:child_process';
import type { BenchCase, ResultRow, SkippedRow } from '../suite/case.js';
import { peerScript } from './paths.js';

export async function runTorch(
  cases: BenchCase[],
  o: { callBudgetMs?: number; onProgress?: (line: string) => void } = {},
): Promise<{ rows: ResultRow[]; skipped: SkippedRow[] }> {
  const plain = cases.map(({ id, group, series, shapes, size, flops, flopsRule }) => ({ id, group, series, shapes, size, flops, flopsRule }));
  const child = spawn('python3', [peerScript('bench_torch.py')], { env: { ...process.env, BENCH_CALL_BUDGET_MS: String(o.callBudgetMs ?? 15_000) } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => {
    err += d;
    for (const line of String(d).split('\n')) if (line.startsWith('torch ')) o.onProgress?.(line);
  });
  child.stdin.end(JSON.stringify(plain));
  const code = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', resolve);
  });
  if (code !== 0) {
    const reason =
      code === -1
        ? 'python3 not found'
        : err.includes("No module named 'torch'")
          ? 'torch not installed (pip install torch)'
          : `failed: ${err.trim().split('\n').pop()}`;
    return { rows: [], skipped: cases.map((c) => ({ id: c.id, impl: 'torch', runtime: 'python', reason })) };
  }
  return JSON.parse(out) as { rows: ResultRow[]; skipped: SkippedRow[] };
}
