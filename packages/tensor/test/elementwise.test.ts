import { describe, it, beforeAll, expect } from 'vitest';
import { type Device, unary, binary, powScalar, addScalar, mulScalar, cast, tensor, ref, type UnaryOp } from '../src/index.js';
import { BINARY_OP_NAMES } from '../src/ops/binary-ops.js';
import { getDevice, randHost, up, expectClose } from './helpers.js';

// Tolerances: float32 evaluation of each function against float64. Polynomial/rational ops are
// near-exact; transcendental builtins are held to what WGSL allows plus margin.
const TOL: Record<UnaryOp, { atol: number; rtol: number }> = {
  neg: { atol: 0, rtol: 0 },
  abs: { atol: 0, rtol: 0 },
  square: { atol: 1e-7, rtol: 1e-6 },
  exp: { atol: 1e-6, rtol: 2e-6 },
  log: { atol: 2e-6, rtol: 2e-6 },
  sqrt: { atol: 1e-7, rtol: 1e-6 },
  rsqrt: { atol: 1e-7, rtol: 2e-6 },
  tanh: { atol: 1e-6, rtol: 1e-5 },
  // our own range reduction and polynomial (not the builtins, which SwiftShader gets wrong by 2e-4)
  sin: { atol: 5e-7, rtol: 0 },
  cos: { atol: 5e-7, rtol: 0 },
  silu: { atol: 1e-6, rtol: 2e-6 },
  sigmoid: { atol: 1e-6, rtol: 2e-6 },
  gelu_tanh: { atol: 1e-6, rtol: 1e-5 },
  gelu_erf: { atol: 1e-6, rtol: 1e-5 },
  softplus: { atol: 1e-6, rtol: 2e-6 },
};
const POSITIVE = new Set(['log', 'sqrt', 'rsqrt']);
const SHAPES = [[1], [7], [33], [3, 43], [2, 5, 129]];

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('unary ops against the float64 reference', () => {
  for (const op of Object.keys(TOL) as UnaryOp[])
    it(op, async () => {
      for (const [i, shape] of SHAPES.entries()) {
        const x = POSITIVE.has(op) ? ref.map(randHost(shape, 10 + i), (v) => Math.fround(Math.abs(v) + 0.01)) : randHost(shape, 10 + i, 3);
        await expectClose(unary(op, up(d, x)), ref.unary(op, x), TOL[op], `${op} ${JSON.stringify(shape)}`);
      }
    });

  it('sin and cos stay accurate for arguments of thousands of radians (timestep embeddings)', async () => {
    const x = ref.host([8], [700.25, -700.5, 1234.567, 3500.125, -3141.5, 999.875, 2047.5, 100.0625].map(Math.fround));
    await expectClose(unary('sin', up(d, x)), ref.unary('sin', x), TOL.sin, 'sin large');
    await expectClose(unary('cos', up(d, x)), ref.unary('cos', x), TOL.cos, 'cos large');
  });

  it('softplus neither overflows nor loses its tail for large |x|', async () => {
    const x = ref.host([6], [-100, -30, -10, 10, 30, 100]);
    await expectClose(unary('softplus', up(d, x)), ref.unary('softplus', x), { atol: 1e-6, rtol: 1e-6 }, 'softplus large');
  });

  it('tanh and gelu stay finite for large |x|', async () => {
    const x = ref.host([6], [-100, -50, -10, 10, 50, 100]);
    await expectClose(unary('tanh', up(d, x)), ref.unary('tanh', x), { atol: 1e-6 }, 'tanh large');
    await expectClose(unary('gelu_tanh', up(d, x)), ref.unary('gelu_tanh', x), { atol: 1e-5, rtol: 1e-6 }, 'gelu large');
    await expectClose(unary('silu', up(d, x)), ref.unary('silu', x), { atol: 1e-5, rtol: 1e-6 }, 'silu large');
  });
});

describe('scalar ops', () => {
  it('pow by integer and fractional exponents', async () => {
    const x = randHost([129], 3, 2);
    const pos = ref.map(x, (v) => Math.fround(Math.abs(v) + 0.1));
    for (const p of [0, 1, 2, 3, -1, -2]) await expectClose(powScalar(up(d, x), p), ref.powScalar(x, p), { atol: 1e-5, rtol: 2e-5 }, `pow ${p}`);
    for (const p of [0.5, -0.5, 1.7, -2.3]) await expectClose(powScalar(up(d, pos), p), ref.powScalar(pos, p), { atol: 1e-5, rtol: 2e-5 }, `pow ${p}`);
  });

  it('add and multiply by a scalar', async () => {
    const x = randHost([33], 4);
    await expectClose(
      addScalar(up(d, x), 0.1),
      ref.map(x, (v) => v + Math.fround(0.1)),
      { atol: 1e-7, rtol: 1e-7 },
      'addScalar',
    );
    await expectClose(
      mulScalar(up(d, x), -3),
      ref.map(x, (v) => -3 * v),
      { atol: 0, rtol: 1e-7 },
      'mulScalar',
    );
  });
});

describe('binary ops with broadcasting', () => {
  const cases: [number[], number[]][] = [
    [[7], [7]],
    [[33], [1]],
    [[1], [129]],
    [[3, 5], [5]],
    [
      [3, 1],
      [1, 7],
    ],
    [
      [2, 1, 33],
      [4, 1],
    ],
    [
      [2, 3, 4, 5],
      [3, 1, 5],
    ],
    [
      [1, 1, 1],
      [2, 3, 1],
    ],
  ];
  for (const op of BINARY_OP_NAMES)
    it(op, async () => {
      for (const [i, [sa, sb]] of cases.entries()) {
        const a = randHost(sa, 100 + i);
        const b = op === 'div' ? ref.map(randHost(sb, 200 + i), (v) => Math.fround(v + Math.sign(v) * 0.5)) : randHost(sb, 200 + i);
        await expectClose(
          binary(op, up(d, a), up(d, b)),
          ref.binary(op, a, b),
          { atol: 1e-7, rtol: 1e-6 },
          `${op} ${JSON.stringify(sa)}·${JSON.stringify(sb)}`,
        );
      }
    });

  it('names the op and both shapes when shapes do not broadcast', () => {
    const a = tensor(d, new Float32Array(6), [2, 3]);
    const b = tensor(d, new Float32Array(4), [4]);
    expect(() => binary('add', a, b)).toThrowError(/add: shapes \[2,3\] and \[4\] do not broadcast/);
  });
});

describe('casts', () => {
  it('f32 → f16 → f32 rounds to nearest half, odd lengths included', async () => {
    for (const n of [1, 7, 33]) {
      const x = randHost([n], n, 4);
      const h = cast(up(d, x), 'f16');
      expect(h.dtype).toBe('f16');
      const back = cast(h, 'f32');
      const want = ref.map(x, (v) => {
        const hv = ref.map(ref.host([1], [v]), (u) => u).data[0];
        return hv;
      });
      const got = await back.toArray();
      const half = await h.toArray(); // downloads widen f16 on the host
      for (let i = 0; i < n; i++) {
        expect(Math.abs(got[i] - want.data[i])).toBeLessThanOrEqual(Math.abs(want.data[i]) * 2 ** -11 + 1e-7);
        expect(half[i]).toBe(got[i]);
      }
    }
  });

  it('f32 ↔ i32', async () => {
    const x = tensor(d, [1.5, -2.5, 3.9, -0.2], [4]);
    expect(Array.from(await cast(x, 'i32').toArray())).toEqual([1, -2, 3, 0]);
    const i = tensor(d, [5, -7], [2], 'i32');
    expect(Array.from(await cast(i, 'f32').toArray())).toEqual([5, -7]);
  });
});
