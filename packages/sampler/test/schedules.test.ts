import { describe, it, expect } from 'vitest';
import { fluxSchedule, fluxMu, fluxImageSeqLen, linspaceF32, diffusionSchedule, spaceTimesteps, linearBetas } from '../src/index.js';
import { readGolden } from './helpers.js';

describe('FLUX schedules', () => {
  it('match golden flux-schedule bit for bit (all four)', async () => {
    const r = await readGolden('flux-schedule.safetensors');
    const keys = r.keys().filter((k) => k.startsWith('schedule.'));
    expect(keys.sort()).toEqual(['schedule.20_65536_True', 'schedule.28_4096_True', 'schedule.4_256_False', 'schedule.50_1024_True']);
    for (const k of keys) {
      const [steps, n, shift] = k.slice('schedule.'.length).split('_');
      const want = Array.from(await r.readF32(k));
      const got = fluxSchedule({ steps: Number(steps), imageSeqLen: Number(n), shift: shift === 'True' });
      expect(got, k).toEqual(want);
    }
    await r.close();
  });

  it('match the golden flux-tiny-a-sampling timesteps (to one float32 ulp)', async () => {
    const r = await readGolden('flux-tiny-a-sampling.safetensors');
    const m = r.metadata;
    const got = fluxSchedule({
      steps: Number(m.num_steps),
      imageSeqLen: Number(m.image_seq_len),
      shift: m.shift === 'True',
      baseShift: Number(m.base_shift),
      maxShift: Number(m.max_shift),
    });
    const want = Array.from(await r.readF32('outputs.timesteps'));
    // That file's t₁ = 0.82722872 is one ulp (2⁻²⁴) above the correctly rounded value of
    // e^μ/(e^μ + 1/3) = 0.8272286778…, which fluxSchedule gives (flux-schedule's four cases match exactly).
    expect(got.map((t, k) => Math.abs(t - want[k]))).toEqual([0, 2 ** -24, 0, 0, 0]);
    expect(Math.abs(got[1] - 0.827228677814433)).toBeLessThan(Math.abs(want[1] - 0.827228677814433));
    await r.close();
  });

  it('worked values from spec/sampler.md §1.2', () => {
    expect(fluxSchedule({ steps: 4, shift: false })).toEqual([1, 0.75, 0.5, 0.25, 0]);
    const close = (a: number[], b: number[], tol: number) => a.forEach((x, i) => expect(Math.abs(x - b[i]), `${i}`).toBeLessThan(tol));
    close(fluxSchedule({ steps: 4, imageSeqLen: 4096 }), [1, 0.9045, 0.7595, 0.5128, 0], 6e-5);
    close(fluxSchedule({ steps: 4, imageSeqLen: 64 }), [1.0, 0.82722872, 0.61479187, 0.34725839, 0.0], 1e-7);
    const s28 = [
      1, 0.9884, 0.9762, 0.9634, 0.9499, 0.9356, 0.9205, 0.9045, 0.8876, 0.8696, 0.8504, 0.83, 0.8081, 0.7847, 0.7595, 0.7324, 0.7031, 0.6714, 0.637, 0.5994,
      0.5582, 0.5128, 0.4627, 0.4071, 0.3448, 0.2748, 0.1955, 0.1047, 0,
    ];
    close(fluxSchedule({ steps: 28, imageSeqLen: 4096 }), s28, 6e-5);
    expect(fluxMu(4096)).toBeCloseTo(1.15, 12);
    expect(fluxMu(1024)).toBeCloseTo(0.63, 2);
    expect(fluxMu(fluxImageSeqLen(2048, 2048))).toBeCloseTo(3.23, 2); // not clamped
    expect(fluxMu(65536)).toBeCloseTo(11.55, 2);
  });

  it('linspace has n + 1 values with exact endpoints for every n (no repeated subtraction)', () => {
    for (let n = 1; n <= 200; n++) {
      const t = linspaceF32(1, 0, n + 1);
      expect(t.length).toBe(n + 1);
      expect(t[0]).toBe(1);
      expect(t[n]).toBe(0);
      for (let i = 1; i <= n; i++) expect(t[i]).toBeLessThan(t[i - 1]);
      const s = fluxSchedule({ steps: n, imageSeqLen: 65536 });
      expect([s[0], s[n], s.length]).toEqual([1, 0, n + 1]);
    }
  });

  it('a fixed shift of 3 starts img2img at σ = 0.875 (CLEAR recipe, spec/clear.md §7)', () => {
    const s = fluxSchedule({ steps: 20, shift: 3 });
    expect(s[6]).toBeCloseTo(0.875, 6);
    s.forEach((x, i) => {
      const sig = 1 - i / 20;
      expect(Math.abs(x - (3 * sig) / (1 + 2 * sig))).toBeLessThan(2e-7);
    });
  });

  it('rejects bad options', () => {
    expect(() => fluxSchedule({ steps: 0 })).toThrow(RangeError);
    expect(() => fluxSchedule({ steps: 4 })).toThrow(/imageSeqLen/);
    expect(() => fluxSchedule({ steps: 4, shift: -1 })).toThrow(RangeError);
  });
});

describe('DiT schedules', () => {
  it('linear betas and ᾱ against independent float64 formulas', () => {
    const b = linearBetas();
    expect(b.length).toBe(1000);
    expect(b[0]).toBe(1e-4);
    expect(b[999]).toBe(0.02);
    for (let i = 0; i < 1000; i++) expect(Math.abs(b[i] - (1e-4 + (i * (0.02 - 1e-4)) / 999))).toBeLessThan(1e-17);
    const s = diffusionSchedule();
    // ᾱ_t = exp(Σ log(1 − β)) as an independent check
    let logSum = 0;
    for (let i = 0; i < 1000; i++) {
      logSum += Math.log1p(-b[i]);
      expect(Math.abs(s.alphasCumprod[i] / Math.exp(logSum) - 1)).toBeLessThan(1e-12);
    }
    expect(s.alphasCumprod[999]).toBeCloseTo(4.0358e-5, 8);
    expect(s.timesteps).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('respacing to 250 keeps 0, 4, …, 999 with three gaps of 5 (spec/sampler.md §2.2)', () => {
    const S = spaceTimesteps(1000, 250);
    expect(S.length).toBe(250);
    expect(S.slice(0, 3)).toEqual([0, 4, 8]);
    expect(S.slice(-3)).toEqual([991, 995, 999]);
    const fives = S.slice(1)
      .map((v, i) => [S[i], v])
      .filter(([a, v]) => v - a !== 4);
    expect(fives).toEqual([
      [164, 169],
      [497, 502],
      [830, 835],
    ]);
    expect(spaceTimesteps(1000, 'ddim50')).toEqual(Array.from({ length: 50 }, (_, i) => 20 * i));
    expect(spaceTimesteps(10, '2,3')).toEqual([0, 4, 5, 7, 9]);
    expect(spaceTimesteps(1000, 1)).toEqual([0]);
  });

  it('respaced coefficients satisfy the GaussianDiffusion identities', () => {
    const base = diffusionSchedule();
    const s = diffusionSchedule({ respacing: 250 });
    const S = s.timesteps;
    for (let i = 0; i < 250; i++) {
      const prev = i === 0 ? 1 : base.alphasCumprod[S[i - 1]];
      const beta = 1 - base.alphasCumprod[S[i]] / prev;
      expect(Math.abs(s.betas[i] - beta)).toBeLessThan(1e-15);
      expect(Math.abs(s.alphasCumprod[i] / base.alphasCumprod[S[i]] - 1)).toBeLessThan(1e-12);
      const ab = s.alphasCumprod[i];
      const abPrev = i === 0 ? 1 : s.alphasCumprod[i - 1];
      expect(s.alphasCumprodPrev[i]).toBe(abPrev);
      expect(Math.abs(s.sqrtRecipAlphasCumprod[i] - 1 / Math.sqrt(ab))).toBeLessThan(1e-12 * s.sqrtRecipAlphasCumprod[i]);
      expect(Math.abs(s.sqrtRecipm1AlphasCumprod[i] - Math.sqrt((1 - ab) / ab))).toBeLessThan(1e-12 * s.sqrtRecipm1AlphasCumprod[i]);
      const pv = (s.betas[i] * (1 - abPrev)) / (1 - ab);
      expect(Math.abs(s.posteriorVariance[i] - pv)).toBeLessThanOrEqual(1e-15 * Math.max(pv, 1e-300));
      // the posterior mean of q(x_{t−1} | x_t, x₀) with x₀ = 1 and x_t = √ᾱ (no noise) is √ᾱ_prev
      const mu = s.posteriorMeanCoef1[i] * 1 + s.posteriorMeanCoef2[i] * Math.sqrt(ab);
      expect(Math.abs(mu - Math.sqrt(abPrev))).toBeLessThan(1e-12);
    }
    expect(s.posteriorLogVarianceClipped[0]).toBe(s.posteriorLogVarianceClipped[1]);
    expect(s.posteriorLogVarianceClipped[1]).toBe(Math.log(s.posteriorVariance[1]));
    expect(s.posteriorVariance[0]).toBe(0);
  });
});
