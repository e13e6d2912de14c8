// Backward of the elementwise ops, broadcasting and the reductions: GPU against the float64 reference
// backward, and the reference against central finite differences (gradcheck.ts).
import { describe, it, beforeAll } from 'vitest';
import {
  type Device,
  type UnaryOp,
  type BinaryOp,
  ref,
  unary,
  powScalar,
  addScalar,
  mulScalar,
  binary,
  addMul,
  reduce,
  sumAll,
  meanAll,
  mseLoss,
  maskedMean,
} from '../src/index.js';
import { UNARY_OP_NAMES } from '../src/ops/unary-ops.js';
import { BINARY_OP_NAMES } from '../src/ops/binary-ops.js';
import { getDevice, randHost } from './helpers.js';
import { gradCheck } from './gradcheck.js';

// Elementwise gradients are one or two f32 operations on f32 inputs: a few ulps, plus the accuracy of
// exp/tanh/erf in WGSL (~1e-6 relative on llvmpipe and SwiftShader).
const EW = { atol: 1e-5, rtol: 1e-4 };
// Sums back over broadcast axes add up to a few hundred f32 terms.
const SUM = { atol: 5e-5, rtol: 1e-4 };

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

const POSITIVE: UnaryOp[] = ['log', 'sqrt', 'rsqrt'];
const UNARY: UnaryOp[] = UNARY_OP_NAMES;

describe('addMul (h + g·y, the gated residual) backward', () => {
  it('same shapes, a [B, 1, C] gate, and a residual broadcast against g·y', async () => {
    const cases: number[][][] = [
      [
        [3, 5],
        [3, 5],
        [3, 5],
      ],
      [
        [2, 6, 4],
        [2, 1, 4],
        [2, 6, 4],
      ],
      [
        [6, 4],
        [2, 1, 4],
        [2, 6, 4],
      ],
    ];
    for (const [i, [hs, gs, ys]] of cases.entries())
      await gradCheck(d, {
        label: `addMul ${JSON.stringify([hs, gs, ys])}`,
        inputs: [randHost(hs, 150 + i), randHost(gs, 160 + i), randHost(ys, 170 + i)],
        gpu: ([h, g, y]) => addMul(h, g, y),
        fwd: ([h, g, y]) => ref.addMul(h, g, y),
        bwd: ([h, g, y], grad) => ref.grad.addMul(h, g, y, grad),
        tol: SUM,
      });
  });
});

describe('unary backward', () => {
  for (const [i, op] of UNARY.entries())
    it(op, async () => {
      const x0 = randHost([7, 33], 100 + i, 1.5);
      const x = POSITIVE.includes(op) ? ref.map(x0, (v) => Math.fround(Math.abs(v) + 0.3)) : x0;
      await gradCheck(d, {
        label: op,
        inputs: [x],
        gpu: ([t]) => unary(op, t),
        fwd: ([h]) => ref.unary(op, h),
        bwd: ([h], g) => [ref.grad.unary(op, h, g)],
        tol: EW,
      });
    });

  it('powScalar, addScalar, mulScalar', async () => {
    for (const [i, p] of [2, 3, -1, 0.5, -0.5, 1.5, -2, 0].entries()) {
      const x0 = randHost([5, 7], 200 + i);
      const x = Number.isInteger(p) && p !== -1 && p !== -2 ? x0 : ref.map(x0, (v) => Math.fround(Math.abs(v) + 0.5));
      await gradCheck(d, {
        label: `pow ${p}`,
        inputs: [x],
        gpu: ([t]) => powScalar(t, p),
        fwd: ([h]) => ref.powScalar(h, p),
        bwd: ([h], g) => [ref.grad.powScalar(h, p, g)],
        tol: EW,
      });
    }
    await gradCheck(d, {
      label: 'addScalar',
      inputs: [randHost([33], 210)],
      gpu: ([t]) => addScalar(t, 1.5),
      fwd: ([h]) => ref.map(h, (v) => v + 1.5),
      bwd: (_, g) => [g],
      tol: EW,
    });
    await gradCheck(d, {
      label: 'mulScalar',
      inputs: [randHost([33], 211)],
      gpu: ([t]) => mulScalar(t, -0.7),
      fwd: ([h]) => ref.map(h, (v) => v * -0.7),
      bwd: (_, g) => [ref.map(g, (v) => v * -0.7)],
      tol: EW,
    });
  });
});

describe('binary backward with broadcasting', () => {
  // [a shape, b shape]: equal, broadcast both ways, a scalar, and one with >128 elements summed per
  // target element (the workgroup-reduction path)
  const shapes: [number[], number[]][] = [
    [
      [7, 5],
      [7, 5],
    ],
    [
      [3, 1, 7],
      [5, 1],
    ],
    [[1], [4, 33]],
    [[200, 3], [3]],
    [
      [2, 3, 1],
      [1, 3, 9],
    ],
  ];
  const OPS: BinaryOp[] = BINARY_OP_NAMES;
  for (const [k, op] of OPS.entries())
    it(op, async () => {
      for (const [i, [sa, sb]] of shapes.entries()) {
        const a = randHost(sa, 300 + 10 * k + i);
        const b = op === 'div' ? randHost(sb, 400 + 10 * k + i, 0.3, 1.5) : randHost(sb, 400 + 10 * k + i);
        await gradCheck(d, {
          label: `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
          inputs: [a, b],
          gpu: ([x, y]) => binary(op, x, y),
          fwd: ([x, y]) => ref.binary(op, x, y),
          bwd: ([x, y], g) => ref.grad.binary(op, x, y, g),
          tol: SUM,
          fdMax: 120,
        });
      }
    });

  it('maximum splits ties evenly', async () => {
    const a = ref.host([4], [1, 2, 3, 4]);
    const b = ref.host([4], [1, 0, 3, 5]);
    await gradCheck(d, {
      label: 'maximum ties',
      inputs: [a, b],
      gpu: ([x, y]) => binary('maximum', x, y),
      fwd: ([x, y]) => ref.binary('maximum', x, y),
      bwd: ([x, y], g) => ref.grad.binary('maximum', x, y, g),
      tol: EW,
      noFd: true, // not differentiable at ties
    });
  });
});

describe('reduction backward', () => {
  const cases: [number[], number][] = [
    [[7], 0],
    [[33, 5], 0],
    [[3, 129], -1],
    [[2, 7, 33], 1],
  ];
  for (const op of ['sum', 'mean', 'max'] as const)
    it(op, async () => {
      for (const [i, [shape, axis]] of cases.entries())
        for (const keep of [false, true])
          await gradCheck(d, {
            label: `${op} ${JSON.stringify(shape)} axis ${axis} keep ${keep}`,
            inputs: [randHost(shape, 500 + i)],
            gpu: ([x]) => reduce(op, x, axis, keep),
            fwd: ([x]) => ref.reduce(op, x, axis, keep),
            bwd: ([x], g) => [ref.grad.reduce(op, x, axis, g)],
            tol: EW,
            fdMax: 150,
          });
    });

  it('max shares the gradient among ties', async () => {
    await gradCheck(d, {
      label: 'max ties',
      inputs: [ref.host([2, 3], [1, 5, 5, 2, 2, 2])],
      gpu: ([x]) => reduce('max', x, 1),
      fwd: ([x]) => ref.reduce('max', x, 1),
      bwd: ([x], g) => [ref.grad.reduce('max', x, 1, g)],
      tol: EW,
      noFd: true,
    });
  });

  it('sumAll and meanAll', async () => {
    const x = randHost([5, 7, 3], 520);
    await gradCheck(d, {
      label: 'sumAll',
      inputs: [x],
      gpu: ([t]) => sumAll(t),
      fwd: ([h]) => ref.host([], [h.data.reduce((a, b) => a + b, 0)]),
      bwd: ([h], g) => [ref.map(h, () => g.data[0])],
      tol: EW,
    });
    await gradCheck(d, {
      label: 'meanAll',
      inputs: [x],
      gpu: ([t]) => meanAll(t),
      fwd: ([h]) => ref.host([], [h.data.reduce((a, b) => a + b, 0) / h.data.length]),
      bwd: ([h], g) => [ref.map(h, () => g.data[0] / h.data.length)],
      tol: EW,
    });
  });
});

describe('loss helpers', () => {
  it('mseLoss: mean of squared differences, gradient 2(p − t)/n to both sides', async () => {
    const p = randHost([3, 7, 5], 600);
    const t = randHost([3, 7, 5], 601);
    const n = p.data.length;
    await gradCheck(d, {
      label: 'mseLoss',
      inputs: [p, t],
      gpu: ([a, b]) => mseLoss(a, b),
      fwd: ([a, b]) => ref.host([], [a.data.reduce((s, v, i) => s + (v - b.data[i]) ** 2, 0) / n]),
      bwd: ([a, b], g) => [
        ref.host(
          a.shape,
          Array.from(a.data, (v, i) => (2 * g.data[0] * (v - b.data[i])) / n),
        ),
        ref.host(
          a.shape,
          Array.from(a.data, (v, i) => (-2 * g.data[0] * (v - b.data[i])) / n),
        ),
      ],
      tol: EW,
    });
  });

  it('maskedMean: mean over the selected elements (mask broadcast over the last axis)', async () => {
    const x = randHost([2, 5, 3], 610);
    const mask = ref.host([2, 5, 1], [1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
    const count = 6 * 3;
    const sel = (i: number) => mask.data[Math.floor(i / 3)];
    await gradCheck(d, {
      label: 'maskedMean',
      inputs: [x, mask],
      frozen: [1],
      gpu: ([a, m]) => maskedMean(a, m),
      fwd: ([a]) => ref.host([], [a.data.reduce((s, v, i) => s + v * sel(i), 0) / count]),
      bwd: ([a], g) => [
        ref.host(
          a.shape,
          Array.from(a.data, (_, i) => (g.data[0] * sel(i)) / count),
        ),
        null,
      ],
      tol: EW,
    });
  });
});
