// Backward kernels of the unary and binary ops, and the broadcasting reduce every backward needs: an
// expression over operands broadcast to a `full` shape, summed back over the axes where the `target`
// shape was broadcast. With nothing to sum it is one thread per element; with a few elements per
// target one thread loops over them; otherwise a row kernel (reduce-kit.ts) sums each target's elements.
// Reference: elementwise.grad.ref.ts.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { broadcastStrides, fmtShape, numel, sameShape, stridesOf, type Shape } from '../shape.js';
import { HELPERS, PRELUDE } from './elementwise-wgsl.js';
import { BINARY_OPS, type BinaryOp } from './binary-ops.js';
import { UNARY_OPS, UNARY_GRAD_FNS, type UnaryOp } from './unary-ops.js';
import { memo, requireDtype } from './wgsl.js';
import { defineKernel } from './kernel.js';
import { type RowMode, rowKernel, rowMode } from './reduce-kit.js';

export interface Operand {
  /** The WGSL name the expression uses. */
  name: string;
  t: Tensor;
}

/** Below this many elements per target element, one thread sums them; above, a row kernel does. */
const SERIAL_MAX = 128;

/**
 * out[target] = Σ expr over the elements of `full` that broadcast onto each target element. Operands
 * broadcast to `full`; `target` broadcasts to `full` (numpy rules). `fns` is extra WGSL (helper functions).
 * Without broadcasting it is one shape-free kernel per expression; otherwise the index arithmetic is
 * baked per shape. `P.s` in the expression is the scalar `s`.
 */
export function sumExpr(op: string, full: Shape, target: Shape, operands: readonly Operand[], expr: string, fns = '', s = 0): Tensor {
  const device = operands[0].t.device;
  for (const o of operands) requireDtype(op, o.t, 'f32');
  const n = full.length;
  if (target.length > n) throw new ShapeError(op, `cannot sum ${fmtShape(full)} to ${fmtShape(target)}`);
  const tp = [...Array<number>(n - target.length).fill(1), ...target];
  for (let d = 0; d < n; d++) if (tp[d] !== full[d] && tp[d] !== 1) throw new ShapeError(op, `cannot sum ${fmtShape(full)} to ${fmtShape(target)}`);
  const out = Tensor.empty(device, target);
  const T = out.numel;
  if (T === 0) return out;
  const inputs = operands.map((o) => o.t.buffer);
  const decl = Object.fromEntries(operands.map((o) => [`In${o.name}`, 'f32']));
  const prelude = `${HELPERS.test(expr + fns) ? PRELUDE : ''}\n${fns}`;
  const same = sameShape(tp, full) && operands.every((o) => sameShape(o.t.shape, full));
  if (same) {
    const k = memo(`sumExpr:same:${op}:${expr}`, () =>
      defineKernel({
        name: op,
        inputs: decl,
        outputs: { O: 'f32' },
        params: { s: 'f32' },
        prelude,
        each: 'thread',
        body: `  let t = i;\n${operands.map((o) => `  let ${o.name} = In${o.name}[t];`).join('\n')}\n  O[t] = ${expr};`,
      }),
    );
    k.launch(device, { inputs, outputs: [out.buffer], count: T, params: { s } });
    return out;
  }
  const ts = stridesOf(tp);
  const reduced: number[] = [];
  for (let d = 0; d < n; d++) if (tp[d] === 1 && full[d] > 1) reduced.push(d);
  const R = reduced.reduce((a, d) => a * full[d], 1);
  const rs = stridesOf(reduced.map((d) => full[d]));
  // coordinates along each axis of `full`: kept axes from the target index t, reduced ones from k
  const coords: string[] = [];
  for (let d = 0; d < n; d++) {
    if (full[d] === 1) continue;
    const ri = reduced.indexOf(d);
    const e = ri >= 0 ? (ri === 0 ? `k / ${rs[ri]}u` : `(k / ${rs[ri]}u) % ${full[d]}u`) : `(t / ${ts[d]}u) % ${full[d]}u`;
    coords.push(`let c${d} = ${e};`);
  }
  const loads = operands.map((o) => {
    const st = broadcastStrides(o.t.shape, full);
    const terms: string[] = [];
    for (let d = 0; d < n; d++) if (full[d] > 1 && st[d] !== 0) terms.push(st[d] === 1 ? `c${d}` : `c${d} * ${st[d]}u`);
    return `let ${o.name} = In${o.name}[${terms.join(' + ') || '0u'}];`;
  });
  const element = `${coords.join('\n    ')}
    ${loads.join('\n    ')}`;
  // few elements per target, or a software adapter with enough targets: one invocation per target
  const mode: RowMode = R <= SERIAL_MAX ? 'thread' : rowMode(device, T);
  const k = memo(`sumExpr:${op}:${expr}:${full}|${target}|${operands.map((o) => o.t.shape).join('|')}:${mode}`, () =>
    rowKernel(mode, 1, {
      name: op,
      inputs: decl,
      outputs: { O: 'f32' },
      params: { s: 'f32' },
      prelude,
      body: (kit) => `  let t = r;
  var acc: f32 = 0.0;
  ${kit.loop('k', `${R}u`)} {
    ${element}
    acc = acc + (${expr});
  }
  let total = ${kit.sum('acc', 0)};
  ${kit.once('O[t] = total;')}`,
    }),
  );
  k.launch(device, { inputs, outputs: [out.buffer], count: T, params: { s } });
  return out;
}

/** Sums `g` over the axes where `shape` broadcasts to g's shape (the gradient of a broadcast). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g.reshape(shape);
  if (numel(shape) === g.numel) return g.reshape(shape); // only unit axes differ
  return sumExpr('sum_to_shape', g.shape, shape, [{ name: 'g', t: g }], 'g');
}

/** `full` summed back to `shape` where it was broadcast, consuming `full` (returned as is when the shapes match). */
export function reduceTo(full: Tensor, shape: Shape): Tensor {
  if (sameShape(full.shape, shape)) return full;
  const r = sumToShape(full, shape);
  full.dispose();
  return r;
}

/** `g` broadcast up to `shape` (the gradient of a sum or mean that kept the axis, scaled). */
export function expandTo(g: Tensor, shape: Shape, scale = 1): Tensor {
  if (numel(shape) === g.numel && scale === 1) return g.reshape(shape);
  return sumExpr('expand', shape, shape, [{ name: 'g', t: g }], 'g * P.s', '', scale);
}

/** dst += src, in place (accumulating a parameter's gradient). */
export function accumulateInto(dst: Tensor, src: Tensor): void {
  requireDtype('accumulate', dst, 'f32');
  requireDtype('accumulate', src, 'f32');
  if (dst.numel !== src.numel) throw new ShapeError('accumulate', `${fmtShape(src.shape)} into ${fmtShape(dst.shape)}`);
  const k = memo('accumulate', () =>
    defineKernel({ name: 'accumulate', inputs: { A: 'f32' }, outputs: { O: 'f32' }, each: 'thread', body: '  O[i] = O[i] + A[i];' }),
  );
  k.launch(dst.device, { inputs: [src.buffer], outputs: [dst.buffer], count: dst.numel });
}

/** The gradient of unary(op, x) given the output's gradient g. */
export function unaryBackward(op: UnaryOp, x: Tensor, g: Tensor): Tensor {
  return sumExpr(
    `${op}_grad`,
    x.shape,
    x.shape,
    [
      { name: 'x', t: x },
      { name: 'g', t: g },
    ],
    UNARY_OPS[op].grad,
    UNARY_GRAD_FNS,
  );
}

/** The gradient of binary(op, a, b) for operand `side` (0: a, 1: b), summed back to that operand's shape. */
export function binaryBackward(op: BinaryOp, a: Tensor, b: Tensor, g: Tensor, side: 0 | 1): Tensor {
  const expr = BINARY_OPS[op].grad[side];
  const target = side === 0 ? a.shape : b.shape;
  if (expr === 'g') return sumToShape(g, target);
  const operands: Operand[] = [{ name: 'g', t: g }];
  if (/\ba\b/.test(expr)) operands.push({ name: 'a', t: a });
  if (/\bb\b/.test(expr)) operands.push({ name: 'b', t: b });
  return sumExpr(`${op}_grad_${side ? 'b' : 'a'}`, g.shape, target, operands, expr);
}
