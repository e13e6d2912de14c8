import { describe, it, beforeAll, expect } from 'vitest';
import { type Device, matmul, linear, ref, tensor } from '../src/index.js';
import { getDevice, randHost, up, expectClose } from './helpers.js';

// f32 dot products of length K against float64: error ~ √K·ε·|a||b|; inputs are N(0,1).
const tol = (k: number) => ({ atol: 2e-6 * Math.sqrt(k) * 4, rtol: 1e-5 });

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('matmul', () => {
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 3],
    [7, 1, 5],
    [33, 7, 129],
    [65, 33, 17],
    [129, 130, 67],
    [64, 64, 64],
    [128, 256, 96],
  ];
  for (const ta of [false, true])
    for (const tb of [false, true])
      it(`${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'} on odd sizes`, async () => {
        for (const [i, [m, n, k]] of sizes.entries()) {
          const a = randHost(ta ? [k, m] : [m, k], 10 + i);
          const b = randHost(tb ? [n, k] : [k, n], 20 + i);
          await expectClose(
            matmul(up(d, a), up(d, b), { transposeA: ta, transposeB: tb }),
            ref.matmul(a, b, { transposeA: ta, transposeB: tb }),
            tol(k),
            `${m}×${n}×${k}`,
          );
        }
      });

  it('long K into a small output (split-K on software adapters): weight gradients, batched, with alpha', async () => {
    // [in, out] = xᵀ·g over many tokens: too few output blocks to fill the cores, so K is cut and summed
    for (const [i, [m, n, k, z]] of [
      [64, 64, 2048, 1],
      [16, 40, 1100, 2],
      [8, 8, 4096, 1],
    ].entries()) {
      const a = randHost(z > 1 ? [z, k, m] : [k, m], 40 + i);
      const b = randHost(z > 1 ? [z, k, n] : [k, n], 50 + i);
      await expectClose(
        matmul(up(d, a), up(d, b), { transposeA: true, alpha: 0.5 }),
        ref.matmul(a, b, { transposeA: true, alpha: 0.5 }),
        tol(k),
        `Aᵀ·B ${m}×${n}×${k} batch ${z}`,
      );
      const bt = randHost([n, k], 60 + i);
      const at = randHost([m, k], 70 + i);
      await expectClose(matmul(up(d, at), up(d, bt), { transposeB: true }), ref.matmul(at, bt, { transposeB: true }), tol(k), `A·Bᵀ ${m}×${n}×${k}`);
    }
  });

  it('broadcasts batch axes, fuses bias and alpha', async () => {
    const cases: [number[], number[]][] = [
      [
        [2, 33, 17],
        [2, 17, 9],
      ],
      [
        [3, 1, 5, 8],
        [4, 8, 6],
      ],
      [
        [5, 7],
        [2, 3, 7, 4],
      ],
      [
        [2, 3, 9, 5],
        [5, 11],
      ],
    ];
    for (const [i, [sa, sb]] of cases.entries()) {
      const a = randHost(sa, 30 + i);
      const b = randHost(sb, 40 + i);
      const n = sb[sb.length - 1];
      const bias = randHost([n], 50 + i);
      await expectClose(
        matmul(up(d, a), up(d, b), { bias: up(d, bias), alpha: 0.25 }),
        ref.matmul(a, b, { bias, alpha: 0.25 }),
        tol(sa[sa.length - 1]),
        `${sa}·${sb}`,
      );
    }
  });

  it('uses the tiled kernel too (the hardware path), whatever the adapter', async () => {
    const a = randHost([70, 45], 60);
    const b = randHost([45, 33], 61);
    for (const tiles of [
      { TM: 32, TN: 32, TK: 16, RM: 2, RN: 2 },
      { TM: 64, TN: 64, TK: 16, RM: 4, RN: 4 },
      { TM: 64, TN: 64, TK: 16, RM: 8, RN: 8 },
    ])
      await expectClose(matmul(up(d, a), up(d, b), {}, tiles), ref.matmul(a, b), tol(45), `tiles ${JSON.stringify(tiles)}`);
    const at = randHost([45, 70], 62);
    const bt = randHost([33, 45], 63);
    await expectClose(
      matmul(up(d, at), up(d, bt), { transposeA: true, transposeB: true }, { TM: 32, TN: 32, TK: 16, RM: 4, RN: 4 }),
      ref.matmul(at, bt, { transposeA: true, transposeB: true }),
      tol(45),
      'tiled ᵀ',
    );
  });

  it('names both shapes when inner dimensions differ', () => {
    const a = tensor(d, new Float32Array(6), [2, 3]);
    const b = tensor(d, new Float32Array(8), [4, 2]);
    expect(() => matmul(a, b)).toThrowError(/matmul: inner dimensions differ: A \[2,3\] has K=3, B \[4,2\] has K=4/);
  });
});

describe('linear', () => {
  it('x·Wᵀ + b over leading axes', async () => {
    const x = randHost([2, 7, 33], 70);
    const w = randHost([19, 33], 71);
    const b = randHost([19], 72);
    await expectClose(linear(up(d, x), up(d, w), up(d, b)), ref.linear(x, w, b), tol(33), 'linear');
    await expectClose(linear(up(d, x), up(d, w)), ref.linear(x, w), tol(33), 'linear no bias');
  });
  it('rejects a weight of the wrong width', () => {
    expect(() => linear(tensor(d, new Float32Array(6), [2, 3]), tensor(d, new Float32Array(8), [2, 4]))).toThrowError(
      /linear: input \[2,3\] has 3 features, weight \[2,4\] expects 4/,
    );
  });
});
