// The WGSL the elementwise kernels share (internal: not exported by the package): accurate sin/cos,
// overflow-safe tanh, erf (PRELUDE, included where an expression calls them: HELPERS), and the index
// arithmetic of numpy broadcasting (broadcastIndex).
import { sameShape, broadcastStrides, stridesOf } from '../shape.js';
import { f32Lit } from './wgsl.js';

// tanh via exp of a non-positive argument never overflows (WGSL's tanh may, for |x| > ~44).
// erf: Abramowitz & Stegun 7.1.26 is only 1.5e-7 absolute; we use the W. J. Cody-style rational
// fit from Numerical Recipes' erfc (fractional error < 1.2e-7), good to float32 precision.
// sin/cos: WGSL bounds the builtins' error only on [-π, π], and loosely (2^-11): SwiftShader is off
// by 2e-4 there, and FLUX's embeddings take arguments in the thousands of radians. So we evaluate them
// ourselves: reduce by π/2 split in three float32 parts (Cody–Waite; j·C1 and j·C2 are exact for
// |j| < 2^13, i.e. |x| < 12,800), then cephes' sinf/cosf polynomials on [-π/4, π/4] (error ~1 ulp).
function roundToBits(x: number, bits: number): number {
  const e = Math.floor(Math.log2(Math.abs(x)));
  const q = 2 ** (e - bits + 1);
  return Math.round(x / q) * q;
}
const HALF_PI_C1 = roundToBits(Math.PI / 2, 11);
const HALF_PI_C2 = roundToBits(Math.PI / 2 - HALF_PI_C1, 11);
const HALF_PI_C3 = Math.fround(Math.PI / 2 - HALF_PI_C1 - HALF_PI_C2);

export const PRELUDE = /* wgsl */ `
fn sincos_poly(x: f32) -> vec3<f32> {
  // returns (sin r, cos r, quadrant) with x = quadrant·π/2 + r
  let j = round(x * ${f32Lit(2 / Math.PI)});
  let r = ((x - j * ${f32Lit(HALF_PI_C1)}) - j * ${f32Lit(HALF_PI_C2)}) - j * ${f32Lit(HALF_PI_C3)};
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  return vec3<f32>(s, c, f32(i32(j) & 3));
}
fn sin_acc(x: f32) -> f32 {
  let v = sincos_poly(x);
  let q = u32(v.z);
  return select(select(-v.y, -v.x, q == 2u), select(v.y, v.x, q == 0u), q < 2u);
}
fn cos_acc(x: f32) -> f32 {
  let v = sincos_poly(x);
  let q = u32(v.z);
  return select(select(v.x, -v.y, q == 2u), select(-v.x, v.y, q == 0u), q < 2u);
}
fn tanh_safe(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
fn erf_approx(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
          t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
          t * (-0.82215223 + t * 0.17087277)))))))));
  return sign(x) * (1.0 - r);
}
`;

/** Expressions that call a PRELUDE function (kernels without them leave it out: less to compile). */
export const HELPERS = /sin_acc|cos_acc|tanh_safe|erf_approx/;

/** The WGSL that maps output index `i` to a broadcast operand's index, or '' when they coincide. */
export function broadcastIndex(name: string, shape: readonly number[], outShape: readonly number[]): string {
  if (sameShape(shape, outShape)) return `let ${name} = i;`;
  const st = broadcastStrides(shape, outShape);
  const os = stridesOf(outShape);
  const terms: string[] = [];
  for (let d = 0; d < outShape.length; d++) {
    if (st[d] === 0 || outShape[d] === 1) continue;
    const coord = d === 0 ? `(i / ${os[d]}u)` : `((i / ${os[d]}u) % ${outShape[d]}u)`;
    terms.push(st[d] === 1 ? coord : `${coord} * ${st[d]}u`);
  }
  return `let ${name} = ${terms.length ? terms.join(' + ') : '0u'};`;
}
