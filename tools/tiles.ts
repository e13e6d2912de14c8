import { createDevice } from '@cleardit/tensor/node';
import { randn, matmul, type MatmulTiles } from '@cleardit/tensor';
const d = await createDevice({ adapter: process.argv[2] ?? 'auto' });
const n = Number(process.argv[3] ?? 1024);
const a = randn(d, [n, n], 1), b = randn(d, [n, n], 2);
const configs: MatmulTiles[] = JSON.parse(process.argv[4] ?? '[]');
for (const t of configs) {
  const w = matmul(a, b, {}, t); await w.toArray(); w.dispose();
  const times: number[] = [];
  for (let r = 0; r < 3; r++) { const t0 = performance.now(); const c = matmul(a, b, {}, t); await d.sync(); times.push(performance.now() - t0); c.dispose(); }
  times.sort((x, y) => x - y);
  console.log(JSON.stringify(t), (2 * n ** 3 / times[1] / 1e6).toFixed(1), 'GFLOP/s');
}
process.exit(0);
