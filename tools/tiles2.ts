import { createDevice } from '@cleardit/tensor/node';
import { randn, matmul } from '@cleardit/tensor';
const d = await createDevice({ adapter: process.argv[2] ?? 'auto' });
for (const n of [256, 512, 1024]) for (const tb of [false, true]) {
  const a = randn(d, [n, n], 1), b = randn(d, [n, n], 2);
  const w = matmul(a, b, { transposeB: tb }); await w.toArray(); w.dispose();
  const times: number[] = [];
  for (let r = 0; r < 3; r++) { const t0 = performance.now(); const c = matmul(a, b, { transposeB: tb }); await d.sync(); times.push(performance.now() - t0); c.dispose(); }
  times.sort((x, y) => x - y);
  console.log(n, tb, (2 * n ** 3 / times[1] / 1e6).toFixed(1), 'GFLOP/s');
}
process.exit(0);
