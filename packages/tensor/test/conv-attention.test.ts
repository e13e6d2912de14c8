import { describe, it, beforeAll, expect } from 'vitest';
import { type Device, conv2d, scaledDotProductAttention, ref, tensor } from '../src/index.js';
import { getDevice, randHost, up, expectClose } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('conv2d', () => {
  const cases: [number[], number[], number, number][] = [
    // input, weight, padding, stride
    [[1, 1, 1, 1], [1, 1, 1, 1], 0, 1],
    [[1, 3, 7, 5], [4, 3, 3, 3], 1, 1],
    [[2, 5, 9, 9], [7, 5, 1, 1], 0, 1],
    [[1, 4, 8, 6], [3, 4, 3, 3], 1, 2],
    [[2, 8, 5, 7], [16, 8, 3, 3], 0, 1],
    // more output channels than a register block (8), output columns not a multiple of 4
    [[1, 2, 6, 9], [9, 2, 3, 3], 1, 2],
  ];
  it('1×1 and 3×3, padding and stride, against the reference', async () => {
    for (const [i, [xs, ws, padding, stride]] of cases.entries()) {
      const x = randHost(xs, 10 + i);
      const w = randHost(ws, 20 + i, 0.3);
      // every other case without a bias
      const b = i % 2 ? undefined : randHost([ws[0]], 30 + i, 0.1);
      const k = ws[1] * ws[2] * ws[3];
      await expectClose(
        conv2d(up(d, x), up(d, w), { bias: b && up(d, b), padding, stride }),
        ref.conv2d(x, w, { bias: b, padding, stride }),
        { atol: 1e-6 * Math.sqrt(k) * 4, rtol: 1e-5 },
        `conv ${xs} ${ws}`,
      );
    }
  });
  it('names both shapes on a channel mismatch', () => {
    expect(() => conv2d(tensor(d, new Float32Array(18), [1, 2, 3, 3]), tensor(d, new Float32Array(27), [1, 3, 3, 3]))).toThrowError(
      /conv2d: input \[1,2,3,3\] has 2 channels, weight \[1,3,3,3\] expects 3/,
    );
  });
});

describe('plain scaled-dot-product attention', () => {
  it('matches the reference with and without a mask', async () => {
    for (const [i, [b, h, lq, lk, dim]] of [
      [1, 1, 1, 1, 4],
      [1, 2, 7, 9, 16],
      [2, 3, 33, 33, 64],
      [1, 2, 40, 17, 128],
    ].entries()) {
      const q = randHost([b, h, lq, dim], 40 + i);
      const k = randHost([b, h, lk, dim], 50 + i);
      const v = randHost([b, h, lk, dim], 60 + i);
      await expectClose(
        scaledDotProductAttention(up(d, q), up(d, k), up(d, v)),
        ref.scaledDotProductAttention(q, k, v),
        { atol: 2e-5, rtol: 1e-4 },
        `sdpa ${[b, h, lq, lk, dim]}`,
      );
      const mask = ref.map(randHost([lq, lk], 70 + i), (x) => (x > 0.5 ? -1e9 : 0));
      await expectClose(
        scaledDotProductAttention(up(d, q), up(d, k), up(d, v), { mask: up(d, mask), scale: 0.3 }),
        ref.scaledDotProductAttention(q, k, v, { mask, scale: 0.3 }),
        { atol: 2e-5, rtol: 1e-4 },
        `sdpa masked ${[b, h, lq, lk, dim]}`,
      );
    }
  });
});

describe('rotary embedding', () => {
  it('rotates adjacent pairs by the per-token 2×2 matrices, broadcast over batch and heads', async () => {
    const { rope } = await import('../src/index.js');
    for (const [i, [B, H, L, D]] of [
      [1, 1, 1, 2],
      [2, 3, 7, 16],
      [1, 2, 33, 6],
    ].entries()) {
      const x = randHost([B, H, L, D], 80 + i);
      const theta = randHost([L, D / 2], 90 + i, 3);
      const pe = ref.host(
        [L, D / 2, 2, 2],
        Array.from(theta.data).flatMap((t) => [Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t)].map(Math.fround)),
      );
      await expectClose(rope(up(d, x), up(d, pe)), ref.rope(x, pe), { atol: 1e-6, rtol: 1e-6 }, `rope ${[B, H, L, D]}`);
    }
  });
});
