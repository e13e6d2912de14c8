import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, ref } from '@cleardit/tensor';
import { clearPlan, fullPlan, uploadPlan, attentionForward, attentionBackward, flashAttention, reference, type ClearGeometry } from '../src/index.js';
import { getDevice, randHost, up, relErr } from './helpers.js';

// f32 kernels against the float64 reference: errors relative to the largest magnitude.
const FWD_TOL = 2e-5;
const BWD_TOL = 1e-4;

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

async function checkClear(g: ClearGeometry, B: number, H: number, D: number, seed: number, backward = true) {
  const plan = clearPlan(g);
  const L = plan.queryLength;
  const q = randHost([B, H, L, D], seed);
  const k = randHost([B, H, L, D], seed + 1);
  const v = randHost([B, H, L, D], seed + 2);
  const dout = randHost([B, H, L, D], seed + 3);
  const dd = g.downFactor ?? 1;
  const w = dd > 1 ? randHost([dd, dd], seed + 4, 0.3) : undefined;
  const opts = { scale: 0.7 / Math.sqrt(D) };
  const dp = uploadPlan(d, plan);
  const label = `${JSON.stringify(g)} B${B} H${H} D${D}`;
  {
    const [tq, tk, tv, tw] = [up(d, q), up(d, k), up(d, v), w && up(d, w)];
    const fwd = attentionForward(dp, tq, tk, tv, { ...opts, spatialWeight: tw });
    const want = reference.clearAttentionRef(g, q, k, v, { ...opts, spatialWeight: w });
    expect((await relErr(fwd.out, want.out)).rel, `${label} out`).toBeLessThan(FWD_TOL);
    if (!backward) return;
    const grads = attentionBackward(dp, tq, tk, tv, fwd, up(d, dout), { ...opts, spatialWeight: tw });
    const wg = reference.clearAttentionBackwardRef(g, q, k, v, dout, { ...opts, spatialWeight: w });
    for (const name of ['dq', 'dk', 'dv'] as const) expect((await relErr(grads[name], wg[name])).rel, `${label} ${name}`).toBeLessThan(BWD_TOL);
    if (w) expect((await relErr(grads.dSpatialWeight!, wg.dSpatialWeight!)).rel, `${label} dω`).toBeLessThan(BWD_TOL);
  }
  dp.dispose();
}

describe('fused CLEAR kernels against the dense reference', () => {
  it('odd grids, r = 1, text length 0 and odd, batch > 1', async () => {
    await checkClear({ height: 6, width: 7, textLength: 5, radius: 3 }, 1, 2, 16, 1);
    await checkClear({ height: 9, width: 13, textLength: 0, radius: 1 }, 2, 1, 16, 10);
    await checkClear({ height: 11, width: 10, textLength: 3, radius: 2.5 }, 1, 1, 8, 20);
    await checkClear({ height: 17, width: 9, textLength: 7, radius: 4 }, 2, 2, 16, 30);
  });

  it('1×N and N×1 grids, r larger than the grid', async () => {
    await checkClear({ height: 1, width: 70, textLength: 2, radius: 5 }, 1, 1, 16, 40);
    await checkClear({ height: 70, width: 1, textLength: 2, radius: 5 }, 1, 1, 16, 50);
    await checkClear({ height: 5, width: 6, textLength: 4, radius: 40 }, 1, 2, 16, 60);
  });

  it('head dims 64 and 128', async () => {
    await checkClear({ height: 10, width: 9, textLength: 3, radius: 3 }, 1, 1, 64, 70);
    await checkClear({ height: 9, width: 10, textLength: 5, radius: 2 }, 1, 1, 128, 80);
  });

  it("the down-factor variant: pooled keys and the pooling map's gradient", async () => {
    await checkClear({ height: 8, width: 6, textLength: 3, radius: 2, downFactor: 2 }, 1, 2, 8, 90);
    await checkClear({ height: 9, width: 12, textLength: 0, radius: 3, downFactor: 3 }, 2, 1, 16, 100);
  });

  it('many random geometries (seeded): grids, radii, text lengths, down factors, batch and heads', async () => {
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let n = 0; n < 12; n++) {
      const d = [1, 1, 1, 2][Math.floor(rnd() * 4)];
      const g = {
        height: d * (1 + Math.floor(rnd() * (d > 1 ? 5 : 14))),
        width: d * (1 + Math.floor(rnd() * (d > 1 ? 5 : 14))),
        textLength: Math.floor(rnd() * 9),
        radius: [1, 1.5, 2, 2.9, 4, 7.5, 30][Math.floor(rnd() * 7)],
        downFactor: d,
      };
      await checkClear(g, 1 + Math.floor(rnd() * 2), 1 + Math.floor(rnd() * 2), [8, 16][Math.floor(rnd() * 2)], 500 + n * 10, n % 2 === 0);
    }
  });

  it('r larger than the grid equals full attention', async () => {
    const g = { height: 5, width: 7, textLength: 3, radius: 100 };
    const L = 3 + 35;
    const q = randHost([1, 2, L, 16], 1);
    const k = randHost([1, 2, L, 16], 2);
    const v = randHost([1, 2, L, 16], 3);
    const dp = uploadPlan(d, clearPlan(g));
    const clear = await attentionForward(dp, up(d, q), up(d, k), up(d, v)).out.toArray();
    const flash = await flashAttention(up(d, q), up(d, k), up(d, v)).toArray();
    let m = 0;
    for (let i = 0; i < clear.length; i++) m = Math.max(m, Math.abs(clear[i] - flash[i]));
    expect(m).toBeLessThan(1e-6);
  });
});

describe('the hardware variant (one token per invocation), forced on this adapter', () => {
  it('CLEAR forward and backward, with and without pooled keys, head dims 16 and 64', async () => {
    const before = d.kernels;
    d.kernels = 'hardware';
    try {
      await checkClear({ height: 6, width: 7, textLength: 5, radius: 3 }, 1, 2, 16, 101);
      await checkClear({ height: 8, width: 8, textLength: 2, radius: 2, downFactor: 2 }, 2, 1, 16, 102);
      await checkClear({ height: 10, width: 9, textLength: 3, radius: 3 }, 1, 1, 64, 103);
    } finally {
      d.kernels = before;
    }
  });
});

describe('fused full attention', () => {
  it('forward and backward against the reference, Lq ≠ Lk, odd lengths', async () => {
    for (const [i, [B, H, Lq, Lk, D]] of [
      [1, 1, 1, 1, 4],
      [2, 3, 33, 70, 16],
      [1, 2, 129, 65, 64],
    ].entries()) {
      const q = randHost([B, H, Lq, D], 200 + i);
      const k = randHost([B, H, Lk, D], 210 + i);
      const v = randHost([B, H, Lk, D], 220 + i);
      const dout = randHost([B, H, Lq, D], 230 + i);
      const dp = uploadPlan(d, fullPlan(Lq, Lk));
      const all = () => true;
      const want = reference.maskedAttentionRef(q, k, v, all, 1 / Math.sqrt(D));
      const fwd = attentionForward(dp, up(d, q), up(d, k), up(d, v));
      expect((await relErr(fwd.out, want.out)).rel).toBeLessThan(FWD_TOL);
      const wg = reference.maskedAttentionBackwardRef(q, k, v, dout, all, 1 / Math.sqrt(D));
      const g = attentionBackward(dp, up(d, q), up(d, k), up(d, v), fwd, up(d, dout));
      for (const name of ['dq', 'dk', 'dv'] as const) expect((await relErr(g[name], wg[name])).rel, name).toBeLessThan(BWD_TOL);
      // and the plain (materialised) attention of the tensor package agrees
      expect((await relErr(flashAttention(up(d, q), up(d, k), up(d, v)), ref.scaledDotProductAttention(q, k, v))).rel).toBeLessThan(FWD_TOL);
    }
  });
});
