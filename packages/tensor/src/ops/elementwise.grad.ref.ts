// Plain float64 references for elementwise.grad.ts: the gradients of the unary and binary ops and the
// broadcasting reduce (sum back to an operand's shape).
import { broadcastShapes, broadcastStrides, stridesOf } from '../shape.js';
import { host, type HostTensor } from './host.js';
import { BINARY_OPS, type BinaryOp } from './binary-ops.js';
import { UNARY_OPS, UNARY_OP_NAMES, type UnaryOp } from './unary-ops.js';

/** Sums g over the axes where `shape` broadcasts to g's shape. */
export function sumToShape(g: HostTensor, shape: number[]): HostTensor {
  const out = host(shape);
  const st = broadcastStrides(shape, g.shape);
  const gs = stridesOf(g.shape);
  for (let i = 0; i < g.data.length; i++) {
    let j = 0;
    for (let d = 0; d < g.shape.length; d++) j += (Math.floor(i / gs[d]) % g.shape[d]) * st[d];
    out.data[j] += g.data[i];
  }
  return out;
}

/** d/dx of each unary op, from the table (unary-ops.ts). */
export const UNARY_DERIVATIVE = Object.fromEntries(UNARY_OP_NAMES.map((op) => [op, UNARY_OPS[op].derivative])) as Record<UnaryOp, (x: number) => number>;

export function unary(op: UnaryOp, x: HostTensor, g: HostTensor): HostTensor {
  const out = host(x.shape);
  const f = UNARY_DERIVATIVE[op];
  for (let i = 0; i < out.data.length; i++) out.data[i] = g.data[i] * f(x.data[i]);
  return out;
}

/** [∂/∂a, ∂/∂b] of binary(op, a, b) against g, each summed to its operand's shape. */
export function binary(op: BinaryOp, a: HostTensor, b: HostTensor, g: HostTensor): [HostTensor, HostTensor] {
  const shape = broadcastShapes(op, a.shape, b.shape);
  const ga = host(shape);
  const gb = host(shape);
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const so = stridesOf(shape);
  const partials = BINARY_OPS[op].partials;
  for (let i = 0; i < g.data.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < shape.length; d++) {
      const c = Math.floor(i / so[d]) % shape[d];
      ia += c * sa[d];
      ib += c * sb[d];
    }
    const [x, y, gi] = [a.data[ia], b.data[ib], g.data[i]];
    const [da, db] = partials(x, y, gi);
    ga.data[i] = da;
    gb.data[i] = db;
  }
  return [sumToShape(ga, a.shape), sumToShape(gb, b.shape)];
}
