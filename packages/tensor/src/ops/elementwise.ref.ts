// Plain float64 references for elementwise.ts.
import { broadcastShapes, broadcastStrides, stridesOf } from '../shape.js';
import { host, type HostTensor } from './host.js';
import { BINARY_OPS, BINARY_OP_NAMES, type BinaryOp } from './binary-ops.js';
import { UNARY_OPS, UNARY_OP_NAMES, type UnaryOp } from './unary-ops.js';

export { erf } from './erf.js';

/** Each unary op's float64 forward, from the table (unary-ops.ts). */
export const UNARY_REF = Object.fromEntries(UNARY_OP_NAMES.map((op) => [op, UNARY_OPS[op].ref])) as Record<UnaryOp, (x: number) => number>;

export function map(x: HostTensor, f: (v: number) => number): HostTensor {
  const out = host(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = f(x.data[i]);
  return out;
}

export function unary(op: UnaryOp, x: HostTensor): HostTensor {
  return map(x, UNARY_REF[op]);
}

/** Each binary op's float64 forward, from the table (binary-ops.ts). */
export const BINARY_REF = Object.fromEntries(BINARY_OP_NAMES.map((op) => [op, BINARY_OPS[op].ref])) as Record<BinaryOp, (a: number, b: number) => number>;

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
