// matmul/linear with a packed 16-bit B (f16 and bf16 weights), on the software kernel and the tiled
// kernel, against the float64 reference over the ROUNDED weights: widening is exact, so only f32
// accumulation differs. Also bf16 storage and casts, and gradients through a frozen 16-bit weight.
import { describe, it, beforeAll, expect } from 'vitest';
import {
  type Device,
  type Packed16,
  type MatmulTiles,
  type Tensor,
  matmul,
  linear,
  ref,
  tensor,
  tensorFromBits,
  cast,
  backward,
  sumAll,
  mul,
  floatsToHalves,
  floatsToBf16s,
  halvesToFloats,
  bf16sToFloats,
} from '../src/index.js';
import { getDevice, randHost, up, expectClose } from './helpers.js';

const tol = (k: number) => ({ atol: 2e-6 * Math.sqrt(k) * 4, rtol: 1e-5 });
const TILED: MatmulTiles = { TM: 32, TN: 32, TK: 16, RM: 4, RN: 4 };
const DTYPES: Packed16[] = ['f16', 'bf16'];

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

/** The host values rounded to `dt`, and the packed tensor holding exactly them. */
function packed(h: ref.HostTensor, dt: Packed16): { host: ref.HostTensor; t: Tensor } {
  const bits = dt === 'f16' ? floatsToHalves(h.data) : floatsToBf16s(h.data);
  const widened = dt === 'f16' ? halvesToFloats(bits) : bf16sToFloats(bits);
  return { host: ref.host(h.shape, Array.from(widened)), t: tensorFromBits(d, bits, h.shape, dt) };
}

describe('matmul with a 16-bit B', () => {
  // odd sizes, K and N not multiples of 4 (scalar loads), multiples of 4 (vec loads), M ≥ 1024 (32×16 blocks)
  const sizes: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 3],
    [7, 1, 5],
    [33, 7, 129],
    [65, 33, 17],
    [129, 130, 67],
    [33, 128, 96],
    [1030, 36, 12],
  ];
  // the tiled kernel loads B one element at a time whatever the layout: fewer sizes (compiles are slow on SwiftShader)
  const tiledToo = (m: number) => m === 7 || m === 129 || m === 33;
  for (const dt of DTYPES)
    for (const ta of [false, true])
      for (const tb of [false, true])
        it(`${dt}: ${ta ? 'Aᵀ' : 'A'}·${tb ? 'Bᵀ' : 'B'}, software and tiled kernels`, async () => {
          for (const [i, [m, n, k]] of sizes.entries()) {
            const a = randHost(ta ? [k, m] : [m, k], 10 + i);
            const b = packed(randHost(tb ? [n, k] : [k, n], 20 + i), dt);
            const want = ref.matmul(a, b.host, { transposeA: ta, transposeB: tb });
            const opts = { transposeA: ta, transposeB: tb };
            await expectClose(matmul(up(d, a), b.t, opts), want, tol(k), `${m}×${n}×${k}`);
            if (tiledToo(m)) await expectClose(matmul(up(d, a), b.t, opts, TILED), want, tol(k), `tiled ${m}×${n}×${k}`);
          }
        });

  it('broadcasts batch axes (odd batch offsets into the packed words), fuses bias and alpha', async () => {
    const cases: [number[], number[], boolean][] = [
      [[2, 33, 17], [2, 17, 9], false],
      [[3, 1, 5, 8], [4, 8, 6], false],
      [[5, 7], [2, 3, 7, 4], false],
      [[2, 3, 9, 5], [5, 12], false],
      [[2, 5, 8], [2, 12, 8], true],
      [[3, 4, 7], [3, 5, 7], true],
    ];
    for (const dt of DTYPES)
      for (const [i, [sa, sb, tb]] of cases.entries()) {
        const a = randHost(sa, 30 + i);
        const b = packed(randHost(sb, 40 + i), dt);
        const n = sb[sb.length - (tb ? 2 : 1)];
        const bias = randHost([n], 50 + i);
        const opts = { bias: up(d, bias), alpha: 0.25, transposeB: tb };
        const want = ref.matmul(a, b.host, { bias, alpha: 0.25, transposeB: tb });
        const label = `${dt} ${sa}·${sb}${tb ? 'ᵀ' : ''}`;
        await expectClose(matmul(up(d, a), b.t, opts), want, tol(sa[sa.length - 1]), label);
        await expectClose(matmul(up(d, a), b.t, opts, TILED), want, tol(sa[sa.length - 1]), `tiled ${label}`);
      }
  });

  it('linear with 16-bit weights, with and without bias', async () => {
    for (const dt of DTYPES)
      for (const [i, [xs, out]] of (
        [
          [[2, 7, 33], 19],
          [[3, 5, 64], 40],
          [[1, 129], 7],
        ] as [number[], number][]
      ).entries()) {
        const x = randHost(xs, 70 + i);
        const w = packed(randHost([out, xs[xs.length - 1]], 71 + i), dt);
        const b = randHost([out], 72 + i);
        await expectClose(linear(up(d, x), w.t, up(d, b)), ref.linear(x, w.host, b), tol(xs[xs.length - 1]), `${dt} linear ${xs}`);
        await expectClose(linear(up(d, x), w.t), ref.linear(x, w.host), tol(xs[xs.length - 1]), `${dt} linear no bias ${xs}`);
      }
  });

  it('takes half the bytes of f32', () => {
    expect(tensor(d, new Float32Array(6), [2, 3], 'bf16').byteSize).toBe(12);
    expect(tensor(d, new Float32Array(7), [7], 'f16').byteSize).toBe(16); // whole words
  });

  it('refuses a 16-bit A, naming the cast', () => {
    const a = tensor(d, new Float32Array(6), [2, 3], 'bf16');
    const b = tensor(d, new Float32Array(6), [3, 2]);
    expect(() => matmul(a, b)).toThrowError(/matmul: expects f32, got bf16 tensor \[2,3\]; cast it to f32 first/);
    expect(() => matmul(cast(a, 'f32'), tensor(d, new Float32Array(6), [3, 2], 'f16'))).not.toThrow();
  });
});

describe('bf16 storage and casts', () => {
  // ties to even, both directions of rounding, ±0, ±inf, NaN, the largest finite, odd length
  const special = [0, -0, 1, -2.5, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -(1 + 2 ** -8), 3.14159265, 1e-30, -6.5e4, 3.3e38, Infinity, -Infinity, NaN, 1e5 + 17];
  const values = [...special, ...randHost([40], 90, 3).data];
  const want = Array.from(bf16sToFloats(floatsToBf16s(values)));

  it('uploads round to nearest even; downloads widen exactly; raw bits upload unchanged', async () => {
    expect(Array.from(await tensor(d, values, [values.length], 'bf16').toArray())).toEqual(want);
    const bits = floatsToBf16s(values);
    const t = tensorFromBits(d, bits, [values.length], 'bf16');
    expect(t.dtype).toBe('bf16');
    expect(Array.from(await t.toArray())).toEqual(want);
    expect(Array.from(await tensorFromBits(d, floatsToHalves([1, -2, 0.5]), [3], 'f16').toArray())).toEqual([1, -2, 0.5]);
    expect(() => tensorFromBits(d, bits, [3], 'bf16')).toThrowError(/tensorFromBits: 55 values do not fill shape \[3\]/);
  });

  it('casts f32 → bf16 on the GPU as the host rounds, and bf16 → f32 exactly', async () => {
    const x = tensor(d, values, [values.length]);
    const h = cast(x, 'bf16');
    expect(h.dtype).toBe('bf16');
    expect(Array.from(await h.toArray())).toEqual(want);
    const back = cast(h, 'f32');
    expect(back.dtype).toBe('f32');
    expect(Array.from(await back.toArray())).toEqual(want);
    expect(() => cast(h, 'i32')).toThrowError(/cast: bf16 → i32 is not supported; cast to f32 first/);
    expect(() => cast(h, 'f16')).toThrowError(/cast: bf16 → f16 is not supported/);
  });
});

describe('gradients through a frozen 16-bit weight', () => {
  async function gradX(x: ref.HostTensor, w: Tensor, run: (x: Tensor, w: Tensor) => Tensor, seed: number): Promise<Float32Array> {
    const xt = up(d, x).keep().requireGrad();
    d.scope(() => {
      const y = run(xt, w);
      backward(sumAll(mul(y, up(d, randHost([...y.shape], seed)))));
    });
    const g = await xt.grad!.toFloat32();
    xt.dispose();
    return g;
  }

  it('dx of linear with a bf16 or f16 weight equals dx with the same values in f32', async () => {
    for (const dt of DTYPES)
      for (const [i, [xs, out]] of (
        [
          [[3, 5, 36], 20],
          [[4, 33], 7],
          [[2, 9], 12],
        ] as [number[], number][]
      ).entries()) {
        const x = randHost(xs, 100 + i);
        const w = packed(randHost([out, xs[xs.length - 1]], 110 + i), dt);
        const w32 = up(d, w.host);
        const bias = up(d, randHost([out], 120 + i));
        const lin = (t: Tensor, wt: Tensor) => linear(t, wt, bias);
        const g16 = await gradX(x, w.t, lin, 130 + i);
        const g32 = await gradX(x, w32, lin, 130 + i);
        expect(Math.max(...g16.map((v, j) => Math.abs(v - g32[j]))), `${dt} ${xs}`).toBeLessThanOrEqual(1e-6);
      }
  });

  it('dA of matmul with a packed B, every transpose combination', async () => {
    for (const ta of [false, true])
      for (const tb of [false, true]) {
        const [m, n, k] = [6, 9, 13];
        const a = randHost(ta ? [2, k, m] : [2, m, k], 140);
        const b = packed(randHost(tb ? [n, k] : [k, n], 141), 'bf16');
        const mm = (t: Tensor, bt: Tensor) => matmul(t, bt, { transposeA: ta, transposeB: tb, alpha: 0.5 });
        const g16 = await gradX(a, b.t, mm, 142);
        const g32 = await gradX(a, up(d, b.host), mm, 142);
        expect(Math.max(...g16.map((v, j) => Math.abs(v - g32[j]))), `ta ${ta} tb ${tb}`).toBeLessThanOrEqual(1e-6);
      }
  });

  it('a 16-bit tensor cannot be trained', () => {
    const w = tensor(d, new Float32Array(6), [2, 3], 'bf16');
    expect(() => w.requireGrad()).toThrowError(/requireGrad: tensor \[2,3\] is bf16; only f32 tensors are trainable/);
    w.requiresGrad = true; // set behind the method's back: the op refuses to record it
    expect(() => linear(tensor(d, new Float32Array(3), [1, 3]), w)).toThrowError(
      /linear: a bf16 tensor \[2,3\] requires gradients; only f32 tensors are trainable/,
    );
    w.requiresGrad = false;
  });
});
