import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, backward, sumAll, mul, tensor, full, tapeOf } from '@cleardit/tensor';
import { clearPlan, uploadPlan, attention, reference } from '../src/index.js';
import { getDevice, randHost, up, relErr } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('attention on the autograd tape', () => {
  it('backward() through CLEAR gives the reference gradients of q, k, v and the pooling map', async () => {
    const g = { height: 6, width: 4, textLength: 3, radius: 2, downFactor: 2 };
    const plan = clearPlan(g);
    const L = plan.queryLength;
    const [q, k, v, dout] = [1, 2, 3, 4].map((s) => randHost([1, 2, L, 8], s));
    const w = randHost([2, 2], 5, 0.3);
    const dp = uploadPlan(d, plan);
    const [tq, tk, tv, tw] = [q, k, v, w].map((h) => {
      const t = up(d, h);
      t.requiresGrad = true;
      return t;
    });
    const out = attention(dp, tq, tk, tv, { spatialWeight: tw });
    backward(sumAll(mul(out, up(d, dout))));
    const want = reference.clearAttentionBackwardRef(g, q, k, v, dout, { spatialWeight: w });
    expect((await relErr(tq.grad!, want.dq)).rel).toBeLessThan(1e-4);
    expect((await relErr(tk.grad!, want.dk)).rel).toBeLessThan(1e-4);
    expect((await relErr(tv.grad!, want.dv)).rel).toBeLessThan(1e-4);
    expect((await relErr(tw.grad!, want.dSpatialWeight!)).rel).toBeLessThan(1e-4);
  });

  it('records nothing when nothing requires gradients', async () => {
    const plan = clearPlan({ height: 4, width: 4, textLength: 2, radius: 2 });
    const dp = uploadPlan(d, plan);
    const x = full(d, [1, 1, plan.queryLength, 4], 0.5);
    const before = d.pool.stats().inUseBytes;
    const out = attention(dp, x, x, x);
    expect(tapeOf(d).nodes.length).toBe(0);
    out.dispose();
    expect(d.pool.stats().inUseBytes).toBe(before);
    expect(tensor).toBeDefined();
  });
});
