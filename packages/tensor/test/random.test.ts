import { describe, it, expect, beforeAll } from 'vitest';
import { philox, normalValues, uniformValues, randn, rand, type Device } from '../src/index.js';
import { getDevice } from './helpers.js';

describe('seeded random numbers', () => {
  it('Philox-4x32-10 matches the Random123 known-answer vectors', () => {
    // From Random123's kat_vectors: philox4x32 10 rounds.
    expect(philox(0, 0, 0, 0, 0, 0).map((x) => x.toString(16))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    expect(philox(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff).map((x) => x.toString(16))).toEqual([
      '408f276d',
      '41c83b0e',
      'a20bc7c6',
      '6d5451fd',
    ]);
    expect(philox(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0).map((x) => x.toString(16))).toEqual([
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });

  it('normals have mean 0 and variance 1; uniforms lie in [0, 1)', () => {
    const n = 200_000;
    const z = normalValues(7, n);
    let s = 0;
    let q = 0;
    for (const v of z) {
      s += v;
      q += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(q / n - 1)).toBeLessThan(0.01);
    const u = uniformValues(7, n);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
  });

  it('a seed gives the same values every time, a prefix of a longer draw, and other seeds differ', () => {
    expect(normalValues(42, 33)).toEqual(normalValues(42, 33));
    expect(normalValues(42, 33)).toEqual(normalValues(42, 100).slice(0, 33));
    expect(normalValues(42, 8)).not.toEqual(normalValues(43, 8));
    // a large seed uses the second key word
    expect(normalValues(2 ** 40, 8)).not.toEqual(normalValues(0, 8));
  });

  describe('on the device', () => {
    let d: Device;
    beforeAll(async () => {
      d = await getDevice();
    });
    it('randn and rand upload exactly the host values', async () => {
      expect(await randn(d, [3, 11], 5).toArray()).toEqual(normalValues(5, 33));
      expect(await rand(d, [7], 5).toArray()).toEqual(uniformValues(5, 7));
    });
  });
});
