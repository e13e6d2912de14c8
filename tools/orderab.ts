// A/B of the storage kernel's fma order (kij vs ijk), interleaved best-of-N. Args: adapter sizes reps
import { createDevice } from '@cleardit/tensor/node';
import { randn, matmul } from '@cleardit/tensor';
const d = await createDevice({ adapter: process.argv[2] ?? 'llvmpipe' });
const sizes = (process.argv[3] ?? '1024').split(',').map(Number);
const reps = Number(process.argv[4] ?? 3);
for (const n of sizes) for (const tb of [false, true]) {
  const a = randn(d, [n, n], 1), b = randn(d, [n, n], 2);
  const best: Record<string, number> = { kij: Infinity, ijk: Infinity };
  for (const o of ['kij', 'ijk']) { (globalThis as any).__ORDER = o; const w = matmul(a, b, { transposeB: tb }); await w.toArray(); w.dispose(); }
  for (let r = 0; r < reps; r++) for (const o of ['kij', 'ijk']) {
    (globalThis as any).__ORDER = o;
    const t0 = performance.now(); const c = matmul(a, b, { transposeB: tb }); await d.sync(); best[o] = Math.min(best[o], performance.now() - t0); c.dispose();
  }
  console.log(n, tb ? 'tb' : '  ', Object.entries(best).map(([k, t]) => `${k} ${(2 * n ** 3 / t / 1e6).toFixed(1)}`).join('  '));
  a.dispose(); b.dispose();
}
process.exit(0);
