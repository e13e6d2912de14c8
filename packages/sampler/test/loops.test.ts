import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, type Tensor, tensor, full, sub, concat, mulScalar, addScalar } from '@cleardit/tensor';
import {
  eulerFlow,
  ddpm,
  ddim,
  fluxSchedule,
  diffusionSchedule,
  classifierFreeGuidance,
  SamplingAborted,
  noiseStream,
  seededNoise,
  img2imgStart,
  type StepInfo,
  type DiTModel,
  type NoiseSource,
} from '../src/index.js';
import { getDevice, readGolden, maxAbsDiff } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

const host = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));
const inUse = () => d.pool.stats().inUseBytes;

describe('flow-matching Euler', () => {
  it('is exact on straight flows: v = (x − c)/t (point-mass data c) lands on c in any step count', async () => {
    const shape = [1, 6, 4];
    const c = tensor(
      d,
      host(24, (i) => Math.sin(i) * 2),
      shape,
    );
    const x = tensor(
      d,
      host(24, (i) => Math.cos(3 * i)),
      shape,
    );
    const want = await c.toFloat32();
    for (const steps of [1, 4, 28]) {
      const out = await eulerFlow({ model: (xt, t) => mulScalar(sub(xt, c), 1 / t), x, schedule: fluxSchedule({ steps, imageSeqLen: 1024 }), cond: null });
      expect(maxAbsDiff(await out.toFloat32(), want), `${steps} steps`).toBeLessThan(2e-6);
      out.dispose();
    }
    c.dispose();
    x.dispose();
  });

  it('v = x − c: matches the discrete product exactly and converges to c + (x₁ − c)/e at first order', async () => {
    const shape = [2, 3, 5];
    const n = 30;
    const cv = host(n, (i) => 0.3 * i - 2);
    const xv = host(n, (i) => Math.sin(5 * i));
    const c = tensor(d, cv, shape);
    const x = tensor(d, xv, shape);
    const errs: number[] = [];
    for (const steps of [10, 20, 40]) {
      const sched = fluxSchedule({ steps, shift: false });
      const out = await (await eulerFlow({ model: (xt) => sub(xt, c), x, schedule: sched, cond: 0 })).toFloat32();
      let prod = 1;
      for (let k = 0; k < steps; k++) prod *= 1 + (sched[k + 1] - sched[k]);
      expect(
        maxAbsDiff(
          out,
          host(n, (i) => cv[i] + prod * (xv[i] - cv[i])),
        ),
      ).toBeLessThan(1e-5);
      errs.push(
        maxAbsDiff(
          out,
          host(n, (i) => cv[i] + (xv[i] - cv[i]) / Math.E),
        ),
      );
    }
    expect(errs[0] / errs[1]).toBeGreaterThan(1.8);
    expect(errs[1] / errs[2]).toBeGreaterThan(1.8);
    // leading error term: (x₁ − c)·e⁻¹·(1/2n) (|x₁ − c| ≤ 7.7 here)
    expect(errs[2]).toBeLessThan((7.7 / Math.E / 80) * 1.2);
    c.dispose();
    x.dispose();
  });

  it('reproduces golden flux-tiny-a-sampling: model called at its timesteps with guidance 3.5, same latents after each step', async () => {
    const r = await readGolden('flux-tiny-a-sampling.safetensors');
    const ts = Array.from(await r.readF32('outputs.timesteps'));
    const lat = [await r.readF32('inputs.noise')];
    for (let k = 1; k <= 4; k++) lat.push(await r.readF32(`outputs.latent_step${k}`));
    expect(maxAbsDiff(lat[4], await r.readF32('outputs.latent'))).toBe(0);
    const shape = r.info('inputs.noise').shape;
    const guidance = (await r.readF32('inputs.guidance'))[0];
    await r.close();
    // The golden run's t₁ is one float32 ulp above the correctly rounded 0.827228677… that BFL's float32
    // formula (and golden flux-schedule) gives; every other value is identical.
    const schedule = fluxSchedule({ steps: 4, imageSeqLen: 64 });
    expect(maxAbsDiff(schedule, ts)).toBeLessThanOrEqual(2 ** -24);
    expect(schedule.filter((t, k) => t !== ts[k])).toEqual([schedule[1]]);
    // A replay model: the velocity the golden run's model must have returned at step k (float64).
    const calls: number[] = [];
    const model = (_x: Tensor, t: number, cond: string, g: number | undefined) => {
      expect(cond).toBe('txt');
      expect(g).toBe(3.5);
      const k = ts.findIndex((g) => Math.abs(g - t) <= 2 ** -24);
      calls.push(k);
      return tensor(
        d,
        host(lat[0].length, (i) => (lat[k + 1][i] - lat[k][i]) / (ts[k + 1] - ts[k])),
        shape,
      );
    };
    const x = tensor(d, lat[0], shape);
    const seen: number[] = [];
    const out = await eulerFlow({
      model,
      x,
      schedule,
      cond: 'txt',
      guidance,
      onStep: async ({ step, latent }) => {
        seen.push(maxAbsDiff(await latent.toFloat32(), lat[step]));
      },
    });
    expect(calls).toEqual([0, 1, 2, 3]);
    expect(seen.length).toBe(4);
    for (const e of seen) expect(e).toBeLessThan(2e-6);
    expect(maxAbsDiff(await out.toFloat32(), lat[4])).toBeLessThan(2e-6);
    out.dispose();
    x.dispose();
  });

  it('img2img at strength 0.7 with 20 steps runs 14 steps from index 6', async () => {
    const schedule = fluxSchedule({ steps: 20, shift: 3 });
    const start = img2imgStart(schedule, 0.7);
    expect(start).toEqual({ startIndex: 6, t: schedule[6], steps: 14 });
    expect(start.t).toBeCloseTo(0.875, 6);
    const x = full(d, [1, 4, 4], 1);
    const ts: number[] = [];
    const infos: [number, number][] = [];
    const out = await eulerFlow({
      model: (xt, t) => (ts.push(t), mulScalar(xt, 0)),
      x,
      schedule,
      cond: null,
      startIndex: start.startIndex,
      onStep: (i) => void infos.push([i.step, i.total]),
    });
    expect(ts).toEqual(schedule.slice(6, 20));
    expect(infos).toEqual(Array.from({ length: 14 }, (_, k) => [k + 1, 14]));
    out.dispose();
    x.dispose();
  });
});

/** A DiT stand-in with known ε: returns [ε; v] with ε a fixed tensor (batch rows repeated as needed). */
function constantEps(eps: Tensor, v?: Tensor): DiTModel {
  return () => (v ? concat([eps, v], 1) : mulScalar(eps, 1));
}

describe('DiT DDIM', () => {
  it('η = 0 with the true ε reproduces x₀ in one step', async () => {
    const shape = [1, 4, 3, 3];
    const x0v = host(36, (i) => Math.sin(i));
    const ev = host(36, (i) => Math.cos(2 * i));
    for (const S of [999, 500, 37]) {
      const s = diffusionSchedule({ useTimesteps: [S] });
      const ab = s.alphasCumprod[0];
      const x = tensor(
        d,
        host(36, (i) => Math.sqrt(ab) * x0v[i] + Math.sqrt(1 - ab) * ev[i]),
        shape,
      );
      const eps = tensor(d, ev, shape);
      const v = full(d, shape, 0.3);
      const out = await ddim({ model: constantEps(eps, v), x, schedule: s, labels: [1] });
      // the f32 cancellation in x/√ᾱ − √(1/ᾱ − 1)·ε grows as 1/√ᾱ (157 at S = 999)
      expect(maxAbsDiff(await out.toFloat32(), x0v), `S=${S}`).toBeLessThan(2e-7 / Math.sqrt(ab));
      [x, eps, v, out].forEach((t) => t.dispose());
    }
  });

  it('η = 0 over 50 respaced steps stays on the trajectory and ends at x₀', async () => {
    const shape = [2, 4, 2, 2];
    const x0v = host(32, (i) => 0.5 * Math.sin(i));
    const ev = host(32, (i) => Math.cos(3 * i));
    const s = diffusionSchedule({ respacing: 50 });
    const ab = s.alphasCumprod[49];
    const x = tensor(
      d,
      host(32, (i) => Math.sqrt(ab) * x0v[i] + Math.sqrt(1 - ab) * ev[i]),
      shape,
    );
    const eps = tensor(d, ev, shape);
    const out = await ddim({ model: constantEps(eps), x, schedule: s, labels: [0, 1] });
    expect(maxAbsDiff(await out.toFloat32(), x0v)).toBeLessThan(1e-4);
    [x, eps, out].forEach((t) => t.dispose());
  });
});

describe('classifier-free guidance', () => {
  // cond half: channel k = 10 + k; uncond half: 20 + k (8 channels: 4 ε, 4 variance)
  const guidedModel =
    (log: { shape: readonly number[]; labels: readonly number[] }[]): DiTModel =>
    (x, _t, labels) => {
      log.push({ shape: x.shape, labels });
      const b = x.shape[0] / 2;
      const hw = x.shape[2] * x.shape[3];
      const vals = host(x.shape[0] * 8 * hw, (i) => {
        const row = Math.floor(i / (8 * hw));
        const ch = Math.floor(i / hw) % 8;
        return (row < b ? 10 : 20) + ch;
      });
      return tensor(d, vals, [x.shape[0], 8, x.shape[2], x.shape[3]]);
    };

  it('guides the first 3 ε channels only; the rest come from the conditional half', async () => {
    const out = guidedModel([])(full(d, [4, 4, 2, 2], 0), 0, []);
    const g = await classifierFreeGuidance(out, 4, 3).toFloat32();
    const per = (a: Float32Array, ch: number) => a[ch * 4]; // batch row 0, pixel 0
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((c) => per(g, c))).toEqual([-20, -19, -18, 13, 14, 15, 16, 17]);
    const g4 = await classifierFreeGuidance(out, 4, 4).toFloat32();
    expect([0, 1, 2, 3].map((c) => per(g4, c))).toEqual([-20, -19, -18, -17]);
    expect([4, 5, 6, 7].map((c) => per(g4, c))).toEqual([14, 15, 16, 17]);
    const g1 = await classifierFreeGuidance(out, 1, 3).toFloat32();
    expect([0, 1, 2, 3].map((c) => per(g1, c))).toEqual([10, 11, 12, 13]);
  });

  it('the loops double the batch with labels [y; null] and use the guided ε', async () => {
    const log: { shape: readonly number[]; labels: readonly number[] }[] = [];
    const s = diffusionSchedule({ useTimesteps: [999] });
    const x = full(d, [2, 4, 2, 2], 0);
    const out = await ddim({ model: guidedModel(log), x, schedule: s, labels: [3, 7], guidanceScale: 4, nullClass: 10 });
    expect(log).toEqual([{ shape: [4, 4, 2, 2], labels: [3, 7, 10, 10] }]);
    // x = 0, ᾱ_prev = 1: x̂₀ = −√(1/ᾱ − 1)·ε_guided
    const b = s.sqrtRecipm1AlphasCumprod[0];
    const got = await out.toFloat32();
    expect([0, 1, 2, 3].map((c) => got[c * 4] / -b).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([-20, -19, -18, 13]);
    log.length = 0;
    const plain = await ddim({
      model: (xx, t, l) => (log.push({ shape: xx.shape, labels: l }), mulScalar(concat([xx, xx], 1), 1)),
      x,
      schedule: s,
      labels: [3, 7],
      guidanceScale: 1,
    });
    expect(log).toEqual([{ shape: [2, 4, 2, 2], labels: [3, 7] }]);
    [x, out, plain].forEach((t) => t.dispose());
  });
});

describe('DiT DDPM', () => {
  it('matches a float64 host implementation of spec/sampler.md §2.3 (learned and fixed variance)', async () => {
    const shape = [1, 4, 2, 3];
    const n = 24;
    const base = diffusionSchedule();
    const s = diffusionSchedule({ respacing: 6 });
    const S = s.timesteps;
    const xv = host(n, (i) => Math.sin(7 * i));
    const vv = host(n, (i) => Math.cos(i)); // learned-variance values in [−1, 1]
    const zs = S.map((_, i) => host(n, (j) => Math.sin(j * (i + 2) + 0.5)));
    const epsOf = (x: ArrayLike<number>, t: number) => Array.from(x, (v) => Math.fround(0.3 * v + t / 1000));
    const noise: NoiseSource = (i, sh) => tensor(d, zs[i], sh);
    for (const learned of [true, false]) {
      const v = tensor(d, vv, shape);
      const model: DiTModel = (x, t) => {
        const e = addScalar(mulScalar(x, 0.3), t / 1000);
        return learned ? concat([e, v], 1) : e;
      };
      const x = tensor(d, xv, shape);
      const out = await (await ddpm({ model, x, schedule: s, labels: [0], noise })).toFloat32();
      // float64 reference from the spec's formulas and the base process's ᾱ
      let h = Array.from(xv);
      for (let i = S.length - 1; i >= 0; i--) {
        const ab = base.alphasCumprod[S[i]];
        const abPrev = i === 0 ? 1 : base.alphasCumprod[S[i - 1]];
        const beta = 1 - ab / abPrev;
        const post = (k: number) => {
          const a = base.alphasCumprod[S[k]];
          const ap = k === 0 ? 1 : base.alphasCumprod[S[k - 1]];
          return ((1 - a / ap) * (1 - ap)) / (1 - a);
        };
        const logPost = Math.log(post(i === 0 ? 1 : i));
        const e = epsOf(h, S[i]);
        h = h.map((x, j) => {
          const x0 = x / Math.sqrt(ab) - Math.sqrt(1 / ab - 1) * e[j];
          const mean = ((beta * Math.sqrt(abPrev)) / (1 - ab)) * x0 + (((1 - abPrev) * Math.sqrt(1 - beta)) / (1 - ab)) * x;
          const f = (vv[j] + 1) / 2;
          const logVar = learned ? f * Math.log(beta) + (1 - f) * logPost : i === 0 ? logPost : Math.log(beta);
          return mean + (i > 0 ? Math.exp(0.5 * logVar) * zs[i][j] : 0);
        });
      }
      expect(maxAbsDiff(out, h), learned ? 'learned' : 'fixed').toBeLessThan(5e-5);
      x.dispose();
      v.dispose();
    }
  });
});

describe('progress, abort, memory, seeds', () => {
  it('calls back once per step with (step, total, t)', async () => {
    const x = full(d, [1, 4, 2, 2], 0.5);
    const sched = fluxSchedule({ steps: 5, imageSeqLen: 256 });
    const got: Omit<StepInfo, 'latent'>[] = [];
    const out = await eulerFlow({
      model: (xt) => mulScalar(xt, 0.1),
      x,
      schedule: sched,
      cond: 0,
      onStep: ({ step, total, t }) => void got.push({ step, total, t }),
    });
    expect(got).toEqual(sched.slice(0, 5).map((t, k) => ({ step: k + 1, total: 5, t })));
    out.dispose();
    const s = diffusionSchedule({ respacing: 4 });
    const seen: Omit<StepInfo, 'latent'>[] = [];
    const out2 = await ddpm({
      model: (xt) => concat([xt, mulScalar(xt, 0)], 1),
      x,
      schedule: s,
      labels: [0],
      noise: noiseStream(d, 1),
      onStep: ({ step, total, t }) => void seen.push({ step, total, t }),
    });
    expect(seen).toEqual([999, 666, 333, 0].map((t, k) => ({ step: k + 1, total: 4, t })));
    out2.dispose();
    x.dispose();
  });

  it('an AbortSignal aborted at step 2 stops the loop with SamplingAborted and leaks no GPU memory', async () => {
    const x = full(d, [1, 4, 8, 8], 0.5);
    await d.sync();
    const before = inUse();
    const ctl = new AbortController();
    let calls = 0;
    const run = eulerFlow({
      model: (xt) => (calls++, mulScalar(xt, 0.1)),
      x,
      schedule: fluxSchedule({ steps: 10, shift: false }),
      cond: 0,
      signal: ctl.signal,
      onStep: ({ step }) => {
        if (step === 2) ctl.abort('user');
      },
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SamplingAborted);
    expect(err).toMatchObject({ name: 'SamplingAborted', step: 2, total: 10, cause: 'user' });
    expect(calls).toBe(2);
    expect(inUse()).toBe(before);
    expect(x.isDisposed).toBe(false);
    // the same for DDPM with CFG, and a signal aborted before the first step
    const s = diffusionSchedule({ respacing: 10 });
    const ctl2 = new AbortController();
    const model: DiTModel = (xt) => concat([xt, mulScalar(xt, 0)], 1);
    await expect(
      ddpm({
        model,
        x,
        schedule: s,
        labels: [1],
        guidanceScale: 4,
        noise: noiseStream(d, 5),
        signal: ctl2.signal,
        onStep: ({ step }) => void (step === 2 && ctl2.abort()),
      }),
    ).rejects.toMatchObject({ name: 'SamplingAborted', step: 2 });
    await expect(ddim({ model, x, schedule: s, labels: [1], signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'SamplingAborted', step: 0 });
    expect(inUse()).toBe(before);
    // a completed run leaves only its result
    const out = await ddpm({ model, x, schedule: s, labels: [1], guidanceScale: 4, noise: noiseStream(d, 5) });
    out.dispose();
    expect(inUse()).toBe(before);
    x.dispose();
  });

  it('a model error propagates and leaks nothing', async () => {
    const x = full(d, [1, 4, 2, 2], 0.5);
    const before = inUse();
    let k = 0;
    await expect(
      eulerFlow({
        model: (xt) => {
          if (++k === 3) throw new Error('boom');
          return mulScalar(xt, 1);
        },
        x,
        schedule: fluxSchedule({ steps: 5, shift: false }),
        cond: 0,
      }),
    ).rejects.toThrow('boom');
    expect(inUse()).toBe(before);
    x.dispose();
  });

  it('the same seed gives identical latents; another seed does not', async () => {
    const s = diffusionSchedule({ respacing: 5 });
    const model: DiTModel = (xt) => concat([mulScalar(xt, 0.2), mulScalar(xt, 0)], 1);
    const run = async (seed: number) => {
      const x = seededNoise(d, [1, 4, 4, 4], seed);
      const out = await ddpm({ model, x, schedule: s, labels: [0], noise: noiseStream(d, seed) });
      const a = await out.toFloat32();
      x.dispose();
      out.dispose();
      return a;
    };
    const [a, b, c] = [await run(42), await run(42), await run(43)];
    expect(b).toEqual(a);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0.1);
    expect(Array.from(a).every(Number.isFinite)).toBe(true);
  });
});
