// Seeded random numbers that are the same in every JavaScript engine: Philox-4x32-10 (counter based,
// as in JAX/PyTorch) produces 32-bit words with integer arithmetic only; uniforms take the top 24 bits;
// normals use Box–Muller, computed with Math.log/cos/sin in float64 and rounded once to float32.
// Math.log/sin/cos are not bit-specified by ECMAScript, but V8 (Node, Chromium) uses one fdlibm port
// everywhere, so Node and Chromium agree exactly (tested); other engines may differ in the last ulp.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

function mulhilo(a: number, b: number): [number, number] {
  // 32×32 → 64-bit product, split into high and low words, with exact integer math.
  const aHi = a >>> 16,
    aLo = a & 0xffff;
  const bHi = b >>> 16,
    bLo = b & 0xffff;
  const lo = Math.imul(a, b) >>> 0;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  const carry = ((aLo * bLo) / 65536 + (mid1 & 0xffff) + (mid2 & 0xffff)) / 65536;
  const hi = (aHi * bHi + Math.floor(mid1 / 65536) + Math.floor(mid2 / 65536) + Math.floor(carry)) >>> 0;
  return [hi, lo];
}

/** Philox-4x32-10 of counter (c0,c1,c2,c3) under key (k0,k1): four 32-bit words. */
export function philox(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number): [number, number, number, number] {
  for (let r = 0; r < 10; r++) {
    const [hi0, lo0] = mulhilo(M0, c0);
    const [hi1, lo1] = mulhilo(M1, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  return [c0, c1, c2, c3];
}

function words(seed: number, n: number): Uint32Array {
  const out = new Uint32Array(Math.ceil(n / 4) * 4);
  const k0 = seed >>> 0;
  const k1 = Math.floor(seed / 2 ** 32) >>> 0;
  for (let i = 0; i < out.length / 4; i++) {
    const w = philox(i >>> 0, Math.floor(i / 2 ** 32) >>> 0, 0, 0, k0, k1);
    out.set(w, 4 * i);
  }
  return out;
}

/** n uniform floats in [0, 1), float32-exact (multiples of 2^-24). */
export function uniformValues(seed: number, n: number): Float32Array {
  const w = words(seed, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (w[i] >>> 8) / 16777216;
  return out;
}

/** n standard normal floats (Box–Muller over pairs of uniforms in (0, 1]). */
export function normalValues(seed: number, n: number): Float32Array {
  const w = words(seed, n + (n % 2));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = ((w[i] >>> 8) + 1) / 16777216;
    const u2 = (w[i + 1] >>> 8) / 16777216;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
