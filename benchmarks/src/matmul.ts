// Matmul GFLOP/s for square sizes on the chosen adapter, in both layouts the models use (A·B and
// A·Bᵀ for Linear weights), beside numpy's figure on the same CPU when python3 has numpy.
import { spawnSync } from 'node:child_process';
import { type Device, randn, matmul } from '@cleardit/tensor';
import { medianMs, table, save } from './harness.js';

function numpyGflops(n: number): number | null {
  const code = `import time, numpy as np
a = np.random.rand(${n}, ${n}).astype(np.float32); b = np.random.rand(${n}, ${n}).astype(np.float32)
a @ b
ts = []
for _ in range(5):
    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
ts.sort(); print(2 * ${n}**3 / ts[2] / 1e9)`;
  const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

export async function benchMatmul(device: Device, sizes = [256, 512, 1024, 2048]): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const n of sizes) {
    const row: Record<string, string | number> = { size: `${n}³` };
    for (const transposeB of [false, true]) {
      const a = randn(device, [n, n], 1);
      const b = randn(device, [n, n], 2);
      const { median } = await medianMs(device, () => device.scope(() => void matmul(a, b, { transposeB })), { budgetMs: 15_000 });
      a.dispose();
      b.dispose();
      row[transposeB ? 'A·Bᵀ GFLOP/s' : 'A·B GFLOP/s'] = ((2 * n ** 3) / median / 1e6).toFixed(1);
      row[transposeB ? 'A·Bᵀ ms' : 'A·B ms'] = median.toFixed(1);
    }
    const np = numpyGflops(n);
    row['numpy GFLOP/s'] = np === null ? 'n/a' : np.toFixed(1);
    row['ours/numpy'] = np === null ? 'n/a' : `${((100 * Number(row['A·B GFLOP/s'])) / np).toFixed(1)}%`;
    rows.push(row);
  }
  console.log(`\nmatmul (f32) on ${device.adapter.name} — ${device.adapter.description}`);
  console.log(table(rows));
  save('matmul', { adapter: device.adapter, rows });
}
