// Interleaved A/B timing of CPU_MM shapes (best of rounds), robust to a shared, noisy machine.
// args: adapter size shapes(;-separated) rounds
import { createDevice } from '@cleardit/tensor/node';
import { randn, matmul } from '@cleardit/tensor';
const d = await createDevice({ adapter: process.argv[2] ?? 'auto' });
const n = Number(process.argv[3] ?? 1024);
const shapes = (process.argv[4] ?? '16,16,8,8').split(';');
const rounds = Number(process.argv[5] ?? 3);
const a = randn(d, [n, n], 1), b = randn(d, [n, n], 2);
const best = new Map<string, number>();
for (let r = 0; r < rounds; r++) for (const s of shapes) for (const tb of [false, true]) {
  process.env.CPU_MM = s;
  if (r === 0) { const w = matmul(a, b, { transposeB: tb }); await w.toArray(); w.dispose(); }
  const t0 = performance.now(); const c = matmul(a, b, { transposeB: tb }); await d.sync(); const t = performance.now() - t0; c.dispose();
  const key = `${s} ${tb ? 'tb' : '  '}`;
  best.set(key, Math.max(best.get(key) ?? 0, 2 * n ** 3 / t / 1e6));
}
for (const [k, v] of best) console.log(n, k, v.toFixed(1), 'GFLOP/s');
process.exit(0);
