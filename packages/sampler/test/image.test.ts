import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, tensor, full, normalValues, upsampleNearest2x, ref } from '@cleardit/tensor';
import {
  resizeLatent,
  resizeRef,
  packFluxLatent,
  unpackFluxLatent,
  img2imgStart,
  img2imgLatent,
  fluxSchedule,
  fluxNoise,
  seededNoise,
  seededBatch,
  noiseStreams,
  stepSeed,
  noiseStream,
  checkSeed,
} from '../src/index.js';
import { getDevice, maxAbsDiff } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

const host = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

describe('resizeLatent', () => {
  it('matches the float64 reference: nearest and bilinear, up and down, odd sizes', async () => {
    const shape = [2, 3, 5, 7];
    const v = host(210, (i) => Math.sin(1.3 * i) * 3);
    const x = tensor(d, v, shape);
    const h = ref.host(shape, v);
    for (const mode of ['nearest', 'bilinear'] as const)
      for (const [H, W] of [
        [10, 14],
        [11, 3],
        [5, 7],
        [1, 1],
        [3, 16],
        [64, 96],
      ]) {
        const got = resizeLatent(x, H, W, mode);
        expect(got.shape).toEqual([2, 3, H, W]);
        expect(maxAbsDiff(await got.toFloat32(), resizeRef(h, H, W, mode).data), `${mode} ${H}×${W}`).toBeLessThan(1e-5);
        got.dispose();
      }
    x.dispose();
  });

  it('is the identity at the same size; nearest 2× equals upsampleNearest2x; bilinear 2× has known values', async () => {
    const x = tensor(
      d,
      host(24, (i) => i * 0.5 - 3),
      [1, 2, 3, 4],
    );
    const a = await x.toFloat32();
    for (const m of ['nearest', 'bilinear'] as const) expect(await resizeLatent(x, 3, 4, m).toFloat32()).toEqual(a);
    expect(await resizeLatent(x, 6, 8, 'nearest').toFloat32()).toEqual(await upsampleNearest2x(x).toFloat32());
    const row = tensor(d, [0, 4], [1, 2]);
    // torch: F.interpolate([[0, 4]], size=4, mode='linear') = [0, 1, 3, 4]
    expect(Array.from(await resizeLatent(row, 1, 4).toFloat32())).toEqual([0, 1, 3, 4]);
  });

  it('rejects bad sizes and modes', () => {
    const x = full(d, [1, 2, 2], 0);
    expect(() => resizeLatent(x, 0, 2)).toThrow(/positive/);
    expect(() => resizeLatent(x, 2, 2, 'cubic' as 'nearest')).toThrow(/mode/);
    expect(() => resizeLatent(full(d, [4], 0), 2, 2)).toThrow(/H, W/);
  });
});

describe('FLUX latent packing', () => {
  it('packs [B, C, H, W] as b c (h 2) (w 2) → b (h w) (c 2 2) and unpacks back', async () => {
    const [B, C, H, W] = [2, 3, 4, 6];
    const v = host(B * C * H * W, (i) => i);
    const x = tensor(d, v, [B, C, H, W]);
    const p = packFluxLatent(x);
    expect(p.shape).toEqual([B, (H / 2) * (W / 2), 4 * C]);
    const got = await p.toFloat32();
    const want = new Float32Array(got.length);
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++)
          for (let xx = 0; xx < W; xx++) {
            const tok = (y >> 1) * (W / 2) + (xx >> 1);
            const ch = c * 4 + (y % 2) * 2 + (xx % 2);
            want[(b * (H / 2) * (W / 2) + tok) * 4 * C + ch] = v[((b * C + c) * H + y) * W + xx];
          }
    expect(got).toEqual(want);
    expect(await unpackFluxLatent(p, H, W).toFloat32()).toEqual(v);
    expect(() => unpackFluxLatent(p, H, W + 2)).toThrow(/packed/);
  });
});

describe('img2img', () => {
  it('start index follows BFL (and diffusers on request)', () => {
    const s20 = fluxSchedule({ steps: 20, shift: false });
    expect(img2imgStart(s20, 0.7)).toEqual({ startIndex: 6, t: s20[6], steps: 14 });
    expect(img2imgStart(s20, 0.7, { convention: 'diffusers' }).startIndex).toBe(6);
    expect(img2imgStart(s20, 1).startIndex).toBe(0);
    expect(img2imgStart(s20, 0)).toEqual({ startIndex: 20, t: 0, steps: 0 });
    const s10 = fluxSchedule({ steps: 10, shift: false });
    expect(img2imgStart(s10, 0.8).startIndex).toBe(1); // ⌊0.19999999999999996·10⌋
    expect(img2imgStart(s10, 0.8, { convention: 'diffusers' }).startIndex).toBe(2); // ⌊10 − 8⌋
    expect(() => img2imgStart(s10, 1.5)).toThrow(RangeError);
  });

  it('mixes t·noise + (1 − t)·image', async () => {
    const img = tensor(d, [1, 2, 3, 4], [1, 4]);
    const nz = tensor(d, [-1, 0, 1, 2], [1, 4]);
    expect(Array.from(await img2imgLatent(img, nz, 0.25).toFloat32())).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(() => img2imgLatent(img, full(d, [4], 0), 0.5)).toThrow(/differ/);
  });
});

describe('seeded noise', () => {
  it('is the host Philox stream (the same in Node and browsers) and repeats for a seed', async () => {
    const a = await seededNoise(d, [2, 3, 4], 1234).toFloat32();
    expect(a).toEqual(normalValues(1234, 24));
    expect(await seededNoise(d, [2, 3, 4], 1234).toFloat32()).toEqual(a);
    expect(maxAbsDiff(await seededNoise(d, [2, 3, 4], 1235).toFloat32(), a)).toBeGreaterThan(0.5);
    expect(() => checkSeed(-1)).toThrow(RangeError);
    expect(() => checkSeed(2 ** 53)).toThrow(RangeError);
    expect(() => checkSeed(1.5)).toThrow(RangeError);
  });

  it('FLUX noise is drawn unpacked [B, 16, 2⌈H/16⌉, 2⌈W/16⌉] and packed', async () => {
    const n = fluxNoise(d, { height: 100, width: 64, seed: 7 });
    expect(n.shape).toEqual([1, 7 * 4, 64]);
    const raw = seededNoise(d, [1, 16, 14, 8], 7);
    expect(await n.toFloat32()).toEqual(await packFluxLatent(raw).toFloat32());
    expect(await fluxNoise(d, { height: 100, width: 64, seed: 7 }).toFloat32()).toEqual(await n.toFloat32());
  });

  it('per-step seeds are distinct and stable', async () => {
    const seeds = new Set<number>();
    for (const seed of [0, 1, 2 ** 40 + 3])
      for (let i = 0; i < 100; i++) {
        const s = stepSeed(seed, i);
        expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
        seeds.add(s);
      }
    expect(seeds.size).toBe(300);
    expect(stepSeed(9, 3)).toBe(stepSeed(9, 3));
    const src = noiseStream(d, 9);
    expect(await src(3, [8]).toFloat32()).toEqual(normalValues(stepSeed(9, 3), 8));
  });

  it('a batch draws item i from its own seed, as a single run with that seed would', async () => {
    const b = await seededBatch(d, [2, 3], [5, 6, 7]).toFloat32();
    for (const [i, s] of [5, 6, 7].entries()) expect(b.subarray(i * 6, (i + 1) * 6)).toEqual(await seededNoise(d, [1, 2, 3], s).toFloat32());
    const steps = await noiseStreams(d, [5, 6])(4, [2, 8]).toFloat32();
    expect(steps.subarray(8)).toEqual(await noiseStream(d, 6)(4, [1, 8]).toFloat32());
  });
});
