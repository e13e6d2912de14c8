// Plain float64 references for elementwise.ts.
import { broadcastShapes, broadcastStrides, stridesOf } from '../shape.js';
import { host, type HostTensor } from './host.js';
import type { UnaryOp, BinaryOp } from './elementwise.js';

/** erf to double precision (Abramowitz–Stegun 7.1.26 is not enough for a reference: use a series / continued fraction). */
export function erf(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 2.5) {
    // Maclaurin series: erf z = 2/√π Σ (-1)^n z^(2n+1) / (n! (2n+1))
    let term = z;
    let sum = z;
    for (let n = 1; n < 80; n++) {
      term *= (-z * z) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // continued fraction for erfc (Lentz), converges fast for z ≥ 2.5
    let f = z;
    let c = z;
    let d = 0;
    for (let n = 1; n < 200; n++) {
      const an = n / 2;
      d = z + an * d;
      d = 1 / d;
      c = z + an / c;
      const delta = c * d;
      f *= delta;
      if (Math.abs(delta - 1) < 1e-16) break;
    }
    r = 1 - Math.exp(-z * z) / (f * Math.sqrt(Math.PI));
  }
  return x < 0 ? -r : r;
}

export const UNARY_REF: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  sin: Math.sin,
  cos: Math.cos,
  abs: Math.abs,
  silu: (x) => x / (1 + Math.exp(-x)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  square: (x) => x * x,
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  gelu_erf: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
};

export function map(x: HostTensor, f: (v: number) => number): HostTensor {
  const out = host(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(x.data[i]);
  return out;
}

export function unary(op: UnaryOp, x: HostTensor): HostTensor {
  return map(x, UNARY_REF[op]);
}

export function powScalar(x: HostTensor, p: number): HostTensor {
  return map(x, (v) => v ** p);
}

export const BINARY_REF: Record<BinaryOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  maximum: Math.max,
  minimum: Math.min,
};

export function binary(op: BinaryOp, a: HostTensor, b: HostTensor): HostTensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = host(shape);
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const so = stridesOf(shape);
  const f = BINARY_REF[op];
  for (let i = 0; i < out.data.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < shape.length; d++) {
      const c = Math.floor(i / so[d]) % shape[d];
      ia += c * sa[d];
      ib += c * sb[d];
    }
    out.data[i] = f(a.data[ia], b.data[ib]);
  }
  return out;
}

/** h + g·y with broadcasting: the plain composition of the two binary references. */
export function addMul(h: HostTensor, g: HostTensor, y: HostTensor): HostTensor {
  return binary('add', h, binary('mul', g, y));
}
