// Correctness check of matmul on a given adapter against a plain JS triple loop.
import { createDevice } from '@cleardit/tensor/node';
import { tensor, matmul } from '@cleardit/tensor';
const d = await createDevice({ adapter: process.argv[2] ?? 'auto' });
let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const arr = (n: number) => Array.from({ length: n }, rnd);
const prod = (s: number[]) => s.reduce((x, y) => x * y, 1);
let bad = 0;
async function check(aB: number[], bB: number[], M: number, N: number, K: number, ta: boolean, tb: boolean, bias: boolean, alpha: number) {
  const aS = [...aB, ...(ta ? [K, M] : [M, K])], bS = [...bB, ...(tb ? [N, K] : [K, N])];
  const av = arr(prod(aS)), bv = arr(prod(bS)), biasv = arr(N);
  const a = tensor(d, av, aS), b = tensor(d, bv, bS), bt = bias ? tensor(d, biasv, [N]) : undefined;
  const c = matmul(a, b, { transposeA: ta, transposeB: tb, bias: bt, alpha });
  const got = Array.from(await c.toArray() as ArrayLike<number>);
  const batch = aB.length >= bB.length ? aB : bB; // simple broadcast cases only
  const Z = prod(batch), za = prod(aB), zb = prod(bB);
  let err = 0;
  for (let z = 0; z < Z; z++) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let s = 0;
    const ao = (z % za) * M * K, bo = (z % zb) * K * N;
    for (let k = 0; k < K; k++) s += av[ao + (ta ? k * M + m : m * K + k)] * bv[bo + (tb ? n * K + k : k * N + n)];
    const ref = s * alpha + (bias ? biasv[n] : 0);
    err = Math.max(err, Math.abs(ref - got[(z * M + m) * N + n]));
  }
  const tol = 1e-4 * Math.sqrt(Math.max(K, 1));
  const ok = err <= tol && got.length === Z * M * N;
  if (!ok) bad++;
  console.log(ok ? 'ok ' : 'BAD', JSON.stringify({ aB, bB, M, N, K, ta, tb, bias, alpha }), err.toExponential(2));
  a.dispose(); b.dispose(); c.dispose(); bt?.dispose();
}
const sizes: [number, number, number][] = [[33, 7, 129], [1, 1, 1], [5, 3, 2], [8, 8, 8], [64, 64, 64], [65, 67, 63], [4, 12, 16], [100, 36, 20], [1, 130, 64], [3, 256, 17], [130, 4, 9], [17, 40, 8], [1030, 36, 9], [1024, 20, 12], [2, 1040, 5], [1100, 3, 7]];
for (const [M, N, K] of sizes) for (const ta of [false, true]) for (const tb of [false, true])
  await check([], [], M, N, K, ta, tb, (M + N) % 2 === 0, 1);
for (const ta of [false, true]) for (const tb of [false, true]) {
  await check([3], [3], 33, 7, 129, ta, tb, true, 0.5);
  await check([2, 3], [], 20, 16, 12, ta, tb, false, 1);
  await check([], [2], 9, 8, 36, ta, tb, true, 2);
  await check([2], [2], 128, 64, 256, ta, tb, false, 1);
}
console.log(bad ? `${bad} FAILED` : 'all ok');
process.exit(bad ? 1 : 0);
