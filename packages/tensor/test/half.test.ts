// f32 → f16 / bf16 rounding against bit patterns written here from the IEEE 754 definitions (not
// from the converter): round to nearest, ties to even, at normal, subnormal and overflow boundaries;
// signed zeros, infinities and NaN. And the way back, exactly.
import { describe, it, expect } from 'vitest';
import { floatToHalf, halfToFloat, floatToBf16, bf16ToFloat } from '../src/index.js';

const f32bits = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0];
const isHalfNaN = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
const isBf16NaN = (h: number) => (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;

describe('f32 → f16', () => {
  const cases: [string, number, number][] = [
    ['1', 1, 0x3c00],
    ['−2', -2, 0xc000],
    ['+0', 0, 0x0000],
    ['−0', -0, 0x8000],
    ['largest normal 65504', 65504, 0x7bff],
    ['65519 rounds down to 65504', 65519, 0x7bff],
    ['65520: the tie with 65536 rounds up to infinity', 65520, 0x7c00],
    ['1 + 2⁻¹¹: tie, stays on the even 1', 1 + 2 ** -11, 0x3c00],
    ['1 + 3·2⁻¹¹: tie, goes to the even 1 + 2⁻⁹', 1 + 3 * 2 ** -11, 0x3c02],
    ['1 + 2⁻¹¹ + 2⁻²⁰: above the tie, rounds up', 1 + 2 ** -11 + 2 ** -20, 0x3c01],
    ['smallest normal 2⁻¹⁴', 2 ** -14, 0x0400],
    ['largest subnormal 1023·2⁻²⁴', 1023 * 2 ** -24, 0x03ff],
    ['smallest subnormal 2⁻²⁴', 2 ** -24, 0x0001],
    ['2⁻²⁵: tie with 0, goes to 0', 2 ** -25, 0x0000],
    ['3·2⁻²⁵: tie, goes to the even 2·2⁻²⁴', 3 * 2 ** -25, 0x0002],
    ['2⁻²⁵ + 2⁻³⁰: above the tie, rounds up to 2⁻²⁴', 2 ** -25 + 2 ** -30, 0x0001],
    ['−2⁻²⁶ underflows to −0', -(2 ** -26), 0x8000],
    ['2⁻²⁷ underflows to 0', 2 ** -27, 0x0000],
    ['+∞', Infinity, 0x7c00],
    ['−∞', -Infinity, 0xfc00],
    ['2²⁰ overflows to +∞', 2 ** 20, 0x7c00],
  ];
  for (const [name, x, bits] of cases)
    it(name, () => {
      expect(Math.fround(x)).toBe(x); // every input is exactly a float32
      expect(floatToHalf(x).toString(16)).toBe(bits.toString(16));
    });

  it('NaN stays NaN; decoding is exact', () => {
    expect(isHalfNaN(floatToHalf(NaN))).toBe(true);
    expect(isHalfNaN(floatToHalf(f32bits(0xffc00001)))).toBe(true);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
    expect(halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(halfToFloat(0x7bff)).toBe(65504);
    expect(halfToFloat(0xfc00)).toBe(-Infinity);
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true);
    expect(halfToFloat(0x7e00)).toBeNaN();
  });
});

describe('f32 → bf16', () => {
  const cases: [string, number, number][] = [
    ['1', 1, 0x3f80],
    ['−1.5', -1.5, 0xbfc0],
    ['−0', -0, 0x8000],
    ['1 + 2⁻⁸: tie, stays on the even 1', 1 + 2 ** -8, 0x3f80],
    ['1 + 3·2⁻⁸: tie, goes to the even 1 + 2⁻⁶', 1 + 3 * 2 ** -8, 0x3f82],
    ['1 + 2⁻⁸ + 2⁻²⁰: above the tie, rounds up', 1 + 2 ** -8 + 2 ** -20, 0x3f81],
    ['the largest float32 rounds up to +∞', f32bits(0x7f7fffff), 0x7f80],
    ['0x7f7f7fff rounds down to the largest bf16', f32bits(0x7f7f7fff), 0x7f7f],
    ['subnormal 0x00008000: tie, goes to the even 0', f32bits(0x00008000), 0x0000],
    ['subnormal 0x00018000: tie, goes to the even 0x0002', f32bits(0x00018000), 0x0002],
    ['subnormal 0x00010001: above the smallest bf16 subnormal, rounds down to it', f32bits(0x00010001), 0x0001],
    ['+∞', Infinity, 0x7f80],
    ['−∞', -Infinity, 0xff80],
  ];
  for (const [name, x, bits] of cases) it(name, () => expect(floatToBf16(x).toString(16)).toBe(bits.toString(16)));

  it('NaN stays NaN, even a NaN whose payload sits in the low bits; decoding is exact', () => {
    expect(isBf16NaN(floatToBf16(NaN))).toBe(true);
    expect(isBf16NaN(floatToBf16(f32bits(0x7f800001)))).toBe(true);
    expect(bf16ToFloat(0x0001)).toBe(f32bits(0x00010000));
    expect(bf16ToFloat(0x7f7f)).toBe(f32bits(0x7f7f0000));
    expect(bf16ToFloat(0xff80)).toBe(-Infinity);
  });
});
