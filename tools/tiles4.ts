// GFLOP/s of matmul (median of 3) for square sizes; args: adapter [sizes,comma] [ta]
import { createDevice } from '@cleardit/tensor/node';
import { randn, matmul } from '@cleardit/tensor';
const d = await createDevice({ adapter: process.argv[2] ?? 'auto' });
const sizes = (process.argv[3] ?? '256,512,1024,2048').split(',').map(Number);
const tas = process.argv[4] === 'ta' ? [false, true] : [false];
for (const n of sizes) for (const ta of tas) for (const tb of [false, true]) {
  const a = randn(d, [n, n], 1), b = randn(d, [n, n], 2);
  const o = { transposeA: ta, transposeB: tb };
  const w = matmul(a, b, o); await w.toArray(); w.dispose();
  const times: number[] = [];
  for (let r = 0; r < 3; r++) { const t0 = performance.now(); const c = matmul(a, b, o); await d.sync(); times.push(performance.now() - t0); c.dispose(); }
  times.sort((x, y) => x - y);
  console.log(n, ta ? 'ta' : '  ', tb ? 'tb' : '  ', (2 * n ** 3 / times[1] / 1e6).toFixed(1), 'GFLOP/s');
  a.dispose(); b.dispose();
}
process.exit(0);
