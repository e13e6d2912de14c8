// The kernels every GPU runs, run here: with `device.kernels = 'hardware'` a software adapter picks
// the GPU variants (a workgroup of 64 per row, the tiled matmul) instead of its CPU-shaped ones, and
// they are checked against the same float64 references. Also a dispatch past 65,535 workgroups,
// which defineKernel folds into a 2-D grid.
import { describe, it, beforeAll, afterAll, expect } from 'vitest';
import { type Device, add, foldGrid, matmul, softmax, layerNorm, reduce, modulate, ref, rowMode, tensor } from '../src/index.js';
import { getDevice, randHost, up, expectClose } from './helpers.js';

const TOL = { atol: 2e-5, rtol: 2e-5 };

let d: Device;
let before: Device['kernels'];
beforeAll(async () => {
  d = await getDevice();
  before = d.kernels;
  d.kernels = 'hardware';
});
afterAll(() => {
  d.kernels = before;
});

describe('hardware kernel variants on this adapter', () => {
  it('row reductions and norms use a workgroup per row, and match the references', async () => {
    expect(rowMode(d, 300)).toBe('group');
    for (const [i, shape] of [
      [300, 40],
      [260, 9],
      [4, 75, 3],
    ].entries()) {
      const x = randHost(shape, 900 + i);
      await expectClose(reduce('sum', up(d, x), -1), ref.reduce('sum', x, -1), TOL, `sum ${shape}`);
      await expectClose(softmax(up(d, x)), ref.softmax(x), TOL, `softmax ${shape}`);
      await expectClose(layerNorm(up(d, x)), ref.layerNorm(x), { atol: 1e-4, rtol: 1e-4 }, `layerNorm ${shape}`);
    }
    const x = randHost([2, 300, 16], 910);
    const [sh, sc] = [randHost([2, 16], 911), randHost([2, 16], 912)];
    await expectClose(modulate(up(d, x), up(d, sh), up(d, sc)), ref.modulate(x, sh, sc), { atol: 1e-4, rtol: 1e-4 }, 'modulate');
  });

  it('matmul takes the tiled GPU kernel (not the CPU one), with bias, transposes and batches', async () => {
    for (const [i, [M, K, N]] of [
      [64, 64, 64],
      [37, 129, 70],
      [300, 256, 48],
      [1, 1024, 5],
    ].entries()) {
      const a = randHost([M, K], 920 + i);
      const b = randHost([K, N], 930 + i);
      await expectClose(matmul(up(d, a), up(d, b)), ref.matmul(a, b), { atol: 1e-4, rtol: 1e-4 }, `matmul ${M}×${K}×${N}`);
      const bt = randHost([N, K], 940 + i);
      await expectClose(
        matmul(up(d, a), up(d, bt), { transposeB: true }),
        ref.matmul(a, bt, { transposeB: true }),
        { atol: 1e-4, rtol: 1e-4 },
        `matmulᵀ ${M}×${K}×${N}`,
      );
    }
    const a = randHost([3, 20, 33], 950);
    const b = randHost([3, 33, 17], 951);
    await expectClose(matmul(up(d, a), up(d, b)), ref.matmul(a, b), { atol: 1e-4, rtol: 1e-4 }, 'batched');
  });
});

describe('a dispatch past 65,535 workgroups', () => {
  it('folds into a 2-D grid and covers every element exactly once', async () => {
    // one elementwise op, 256 elements per workgroup: 65,540 workgroups, one more row than the grid holds
    const n = 65_540 * 256 - 7;
    expect(foldGrid(d, Math.ceil(n / 256))[1]).toBe(2);
    const x = new Float32Array(n).map((_, i) => i % 1000);
    const y = new Float32Array(n).map((_, i) => (i * 7) % 13);
    const got = await add(tensor(d, x, [n]), tensor(d, y, [n])).toFloat32();
    let bad = 0;
    for (let i = 0; i < n; i++) if (got[i] !== x[i] + y[i]) bad++;
    expect(bad).toBe(0);
  });
});
