import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, Tensor, randn, matmul, add, softmax, layerNorm, concat, slice, silu } from '../src/index.js';
import { getDevice } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('buffer pool and scopes', () => {
  it('1,000 iterations of op calls inside scopes end with the bytes allocated after the first', async () => {
    const x = randn(d, [33, 64], 1).keep();
    const w = randn(d, [64, 64], 2).keep();
    const step = () =>
      d.scope(() => {
        const h = silu(matmul(x, w));
        const y = layerNorm(add(h, x));
        const z = concat([softmax(y), slice(y, 1, 0, 7)], 1);
        return z.numel;
      });
    step();
    await d.sync();
    const after1 = d.pool.stats();
    for (let i = 1; i < 1000; i++) step();
    await d.sync();
    const after1000 = d.pool.stats();
    expect(after1000.allocatedBytes).toBe(after1.allocatedBytes);
    expect(after1000.inUseBytes).toBe(after1.inUseBytes);
    x.dispose();
    w.dispose();
  });

  it('scopes keep returned tensors and dispose the rest; views share buffers', async () => {
    const before = d.pool.stats().inUseBytes;
    let inner: Tensor | undefined;
    const kept = d.scope(() => {
      inner = randn(d, [100], 3);
      const v = inner.reshape([10, 10]);
      return { v };
    });
    expect(inner!.isDisposed).toBe(true);
    expect(kept.v.isDisposed).toBe(false);
    expect((await kept.v.toArray()).length).toBe(100); // the view still owns the buffer
    kept.v.dispose();
    expect(d.pool.stats().inUseBytes).toBe(before);
    expect(() => kept.v.buffer).toThrowError(/used after dispose/);
  });

  it('a throwing scope still frees what it made', () => {
    const before = d.pool.stats().inUseBytes;
    expect(() =>
      d.scope(() => {
        randn(d, [1000], 1);
        throw new Error('boom');
      }),
    ).toThrowError('boom');
    expect(d.pool.stats().inUseBytes).toBe(before);
  });

  it('using-declarations dispose at block end', () => {
    const before = d.pool.stats().inUseBytes;
    {
      using t = randn(d, [64], 1);
      expect(t.numel).toBe(64);
    }
    expect(d.pool.stats().inUseBytes).toBe(before);
  });
});
