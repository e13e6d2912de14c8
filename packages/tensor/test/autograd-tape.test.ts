// The tape itself: nothing recorded or allocated for inference, noGrad, accumulation, reuse of a tensor,
// intermediates disposed before backward, errors, and that the package's public op names are the
// differentiable ones.
import { describe, it, beforeAll, expect } from 'vitest';
import * as api from '../src/index.js';
import {
  type Device,
  type Tensor,
  tensor,
  randn,
  add,
  mul,
  linear,
  layerNorm,
  geluTanh,
  softmax,
  matmul,
  sumAll,
  backward,
  noGrad,
  tapeOf,
  raw,
} from '../src/index.js';
import { getDevice } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

/** Counts the pool's acquisitions (calls and bytes) while fn runs. */
function allocations(fn: () => void): { calls: number; bytes: number } {
  const pool = d.pool;
  const orig = pool.acquire;
  const seen = { calls: 0, bytes: 0 };
  pool.acquire = function (bytes: number) {
    seen.calls++;
    seen.bytes += bytes;
    return orig.call(pool, bytes);
  };
  try {
    fn();
  } finally {
    pool.acquire = orig;
  }
  return seen;
}

async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.toFloat32());
}

describe('inference pays nothing', () => {
  it('a forward with frozen parameters records no node and allocates exactly what the raw kernels do', async () => {
    const x = randn(d, [9, 16], 1).keep();
    const w1 = randn(d, [32, 16], 2).keep();
    const w2 = randn(d, [16, 32], 3).keep();
    const b = randn(d, [16], 4).keep();
    type Ops = Pick<typeof api, 'linear' | 'layerNorm' | 'geluTanh' | 'add' | 'softmax' | 'matmul'>;
    const forward = (o: Ops) =>
      d.scope(() => void o.softmax(o.matmul(o.add(o.linear(o.geluTanh(o.linear(o.layerNorm(x), w1)), w2, b), x), x, { transposeB: true })));
    const rawOps = raw as unknown as Ops;
    const pub: Ops = { linear, layerNorm, geluTanh, add, softmax, matmul };
    forward(rawOps); // compile pipelines, fill the pool
    const before = d.pool.stats();
    const a = allocations(() => forward(rawOps));
    const p = allocations(() => forward(pub));
    expect(p).toEqual(a);
    expect(tapeOf(d).nodes.length).toBe(0);
    expect(d.pool.stats()).toEqual(before);
    for (const t of [x, w1, w2, b]) expect(t.grad).toBeNull();
    for (const t of [x, w1, w2, b]) t.dispose();
  });

  it('noGrad records nothing even when parameters require gradients', () => {
    const w = randn(d, [4, 4], 5).keep().requireGrad();
    const y = noGrad(d, () => linear(randn(d, [3, 4], 6), w));
    expect(y.requiresGrad).toBe(false);
    expect(tapeOf(d).nodes.length).toBe(0);
    y.dispose();
    w.dispose();
  });
});

describe('backward', () => {
  it('sums the gradients of a tensor used twice, and accumulates across calls until zeroed', async () => {
    const x = tensor(d, [1, -2, 3], [3]).keep().requireGrad();
    const run = () => d.scope(() => backward(sumAll(add(mul(x, x), x)))); // d/dx = 2x + 1
    run();
    expect(await values(x.grad!)).toEqual([3, -3, 7]);
    run();
    expect(await values(x.grad!)).toEqual([6, -6, 14]);
    x.grad!.dispose();
    x.grad = null;
    run();
    expect(await values(x.grad!)).toEqual([3, -3, 7]);
    x.dispose();
  });

  it('works after the forward disposed its intermediates (the tape holds what it needs)', async () => {
    const w = tensor(d, [0.5, -1, 2, 0.25], [2, 2]).keep().requireGrad();
    const xIn = tensor(d, [1, 2, 3, 4], [2, 2]).keep();
    const loss = d.scope(() => {
      const h = matmul(xIn, w);
      const s = mul(h, h);
      const l = sumAll(s);
      h.dispose();
      s.dispose();
      return l;
    });
    backward(loss); // d/dW Σ (xW)² = 2 xᵀ(xW)
    const xw = [1 * 0.5 + 2 * 2, 1 * -1 + 2 * 0.25, 3 * 0.5 + 4 * 2, 3 * -1 + 4 * 0.25];
    const want = [2 * (1 * xw[0] + 3 * xw[2]), 2 * (1 * xw[1] + 3 * xw[3]), 2 * (2 * xw[0] + 4 * xw[2]), 2 * (2 * xw[1] + 4 * xw[3])];
    expect(await values(w.grad!)).toEqual(want);
    expect(tapeOf(d).nodes.length).toBe(0);
    for (const t of [loss, w, xIn]) t.dispose();
  });

  it('gives each parameter its own gradient buffer (a + b hands both the same incoming gradient)', async () => {
    const a = tensor(d, [1, 2], [2]).keep().requireGrad();
    const b = tensor(d, [3, 4], [2]).keep().requireGrad();
    d.scope(() => backward(add(a, b), { grad: tensor(d, [1, 1], [2]) }));
    expect(a.grad!.sharesStorage).toBe(false);
    expect(b.grad!.sharesStorage).toBe(false);
    expect(a.grad!.buffer).not.toBe(b.grad!.buffer);
    a.dispose();
    b.dispose();
  });

  it('frees everything it held: repeated forward + backward keeps the pool flat', async () => {
    const w = randn(d, [16, 16], 7).keep().requireGrad();
    const x = randn(d, [5, 16], 8).keep();
    const step = () => d.scope(() => backward(sumAll(softmax(geluTanh(linear(layerNorm(x), w))))));
    step();
    w.grad!.dispose();
    w.grad = null;
    await d.sync();
    const first = d.pool.stats();
    for (let i = 0; i < 50; i++) {
      step();
      w.grad!.dispose();
      w.grad = null;
    }
    await d.sync();
    expect(d.pool.stats()).toEqual(first);
    expect(tapeOf(d).savedCount).toBe(0);
    w.dispose();
    x.dispose();
  });

  it('Tape.clear drops an abandoned forward and its saved tensors', () => {
    const w = randn(d, [8, 8], 9).keep().requireGrad();
    const inUse = d.pool.stats().inUseBytes;
    d.scope(() => void softmax(linear(randn(d, [4, 8], 10), w)));
    expect(tapeOf(d).nodes.length).toBe(2);
    expect(d.pool.stats().inUseBytes).toBeGreaterThan(inUse); // saved tensors outlive the scope
    tapeOf(d).clear();
    expect(d.pool.stats().inUseBytes).toBe(inUse);
    w.dispose();
  });

  it('names what is wrong', () => {
    const w = randn(d, [3], 11).keep().requireGrad();
    const y = mul(w, w);
    expect(() => backward(y)).toThrowError(/backward: the output \[3\] is not a scalar; pass opts.grad/);
    tapeOf(d).clear();
    const w2 = randn(d, [2], 13).keep().requireGrad();
    const l = sumAll(mul(w2, w2));
    backward(l);
    expect(() => backward(l)).toThrowError(/nothing on the tape produced the output \[\] \(backward already ran over it/);
    l.dispose();
    w2.dispose();
    const c = randn(d, [1], 12);
    expect(() => backward(c)).toThrowError(/does not require gradients/);
    y.dispose();
    c.dispose();
    w.dispose();
  });
});

describe('views', () => {
  it('a view of a parameter made once (outside any forward, even under noGrad) carries gradients in every step', async () => {
    // The tape records a view when an op first consumes it, and again after each backward clears it:
    // a model may cache `w.reshape(...)` of its parameters across training steps.
    const w = tensor(d, [1, 2, 3, 4, 5, 6], [6]).keep().requireGrad();
    const cached = noGrad(d, () => w.reshape([2, 3])).keep();
    const c = tensor(d, [1, 10, 100, 1000, 10000, 100000], [2, 3]).keep();
    for (const step of [1, 2]) {
      d.scope(() => backward(sumAll(mul(cached, c))));
      expect(await values(w.grad!), `step ${step}`).toEqual([1, 10, 100, 1000, 10000, 100000].map((v) => v * step));
    }
    expect(cached.grad).toBeNull(); // a view is not a parameter
    expect(tapeOf(d).nodes.length).toBe(0);
    for (const t of [w, cached, c]) t.dispose();
  });

  it('a view of a view, and backward from a view of the loss', async () => {
    const w = tensor(d, [1, 2, 3, 4], [4]).keep().requireGrad();
    const loss = sumAll(mul(w.reshape([2, 2]).reshape([1, 4]), w)).reshape([1]); // Σ w², d/dw = 2w
    backward(loss);
    expect(await values(w.grad!)).toEqual([2, 4, 6, 8]);
    loss.dispose();
    w.dispose();
  });

  it('a view nothing consumes records nothing', () => {
    const w = tensor(d, [1, 2], [2]).keep().requireGrad();
    const v = w.reshape([1, 2]);
    expect(tapeOf(d).nodes.length).toBe(0);
    v.dispose();
    w.dispose();
  });
});

describe('cast', () => {
  it('to the same dtype keeps the gradient (a cast parameter is not detached); to 16 bits it refuses a parameter', async () => {
    const p = tensor(d, [1, 2, 3], [3]).requireGrad();
    const y = sumAll(mul(api.cast(p, 'f32'), tensor(d, [4, 5, 6], [3])));
    backward(y);
    expect(Array.from(await p.grad!.toArray())).toEqual([4, 5, 6]);
    expect(() => api.cast(p, 'f16')).toThrowError(/cast: f32 → f16 is not differentiable, and this tensor requires gradients/);
    expect(noGrad(d, () => api.cast(p, 'f16')).dtype).toBe('f16');
  });
});

describe('exports', () => {
  it('the public op names are the differentiable wrappers; raw.* are the kernels', () => {
    const names = [
      'add',
      'sub',
      'mul',
      'div',
      'matmul',
      'linear',
      'softmax',
      'layerNorm',
      'rmsNorm',
      'groupNorm',
      'reduce',
      'sum',
      'mean',
      'max',
      'silu',
      'geluTanh',
      'softplus',
      'exp',
      'powScalar',
      'addScalar',
      'mulScalar',
      'concat',
      'slice',
      'split',
      'permute',
      'transpose',
      'indexSelect',
      'gather',
      'conv2d',
      'upsampleNearest2x',
      'scaledDotProductAttention',
      'rope',
      'copy',
      'cast',
      'modulate',
      'addMul',
    ] as const;
    for (const n of names) {
      expect(typeof api[n], n).toBe('function');
      expect(api[n], n).not.toBe((raw as Record<string, unknown>)[n]);
      expect(typeof (raw as Record<string, unknown>)[n], `raw.${n}`).toBe('function');
    }
  });
});
