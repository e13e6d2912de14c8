// reduce: sum, mean or max over one axis — the kernel, its float64 reference, the backward (a
// broadcast of the output's gradient for sum and mean; max shares it evenly among the row's maxima)
// and its reference, and the public differentiable op. The tensor is viewed as [outer, len, inner]
// around the reduced axis: outer·inner rows of `len` elements at stride `inner`, one row per workgroup
// on GPUs and per invocation on software adapters (reduce-kit.ts). Accumulation is f32.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape, normAxis } from '../shape.js';
import { axisGeometry, forEachRow } from './axes.js';
import { memo, requireDtype } from './wgsl.js';
import { ROW_BASE, ROW_PARAMS, rowGeometry, rowKernel, rowMode } from './reduce-kit.js';
import { expandTo } from './elementwise.grad.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

export type ReduceOp = 'sum' | 'mean' | 'max';

// ---- forward -------------------------------------------------------------------------------------

/** Reduces one axis. `keepDim` keeps it with size 1. */
export function reduceKernel(op: ReduceOp, x: Tensor, axis: number, keepDim = false): Tensor {
  requireDtype(op, x, 'f32');
  const ax = normAxis(op, axis, x.rank);
  if (op === 'max' && x.shape[ax] === 0) throw new ShapeError(op, `cannot take the max over an empty axis of ${fmtShape(x.shape)}`);
  const g = rowGeometry(x.shape, ax);
  const outShape = keepDim ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  const out = Tensor.empty(x.device, outShape);
  const mode = rowMode(x.device, g.rows);
  const k = memo(`reduce:${op}:${mode}`, () =>
    rowKernel(mode, 1, {
      name: op,
      inputs: { X: 'f32' },
      outputs: { O: 'f32' },
      params: ROW_PARAMS,
      body: (kit) => `${ROW_BASE}  var acc: f32 = ${op === 'max' ? '-3.4028234663852886e38' : '0.0'};
  ${kit.loop('j', 'P.len')} { let v = X[base + j * P.inner]; acc = ${op === 'max' ? 'max(acc, v)' : 'acc + v'}; }
  let t = ${op === 'max' ? kit.max('acc', 0) : kit.sum('acc', 0)};
  ${kit.once(`O[r] = ${op === 'mean' ? 't / f32(P.len)' : 't'};`)}`,
    }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: g.rows, params: { len: g.len, inner: g.inner } });
  return out;
}

export const sumKernel = (x: Tensor, axis: number, keepDim = false) => reduceKernel('sum', x, axis, keepDim);
export const meanKernel = (x: Tensor, axis: number, keepDim = false) => reduceKernel('mean', x, axis, keepDim);
export const maxKernel = (x: Tensor, axis: number, keepDim = false) => reduceKernel('max', x, axis, keepDim);

/** The float64 reference of reduceKernel. */
export function reduceRef(op: ReduceOp, x: HostTensor, axis: number, keepDim = false): HostTensor {
  const { ax } = axisGeometry(x.shape, axis);
  const shape = keepDim ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  const out = host(shape);
  forEachRow(x.shape, axis, (at, row, len) => {
    let acc = op === 'max' ? -Infinity : 0;
    for (let j = 0; j < len; j++) {
      const v = x.data[at(j)];
      acc = op === 'max' ? Math.max(acc, v) : acc + v;
    }
    out.data[row] = op === 'mean' ? acc / len : acc;
  });
  return out;
}

// ---- backward ------------------------------------------------------------------------------------

/** The gradient of reduce(op, x, axis, keepDim) given the output's gradient g. */
export function reduceBackward(op: ReduceOp, x: Tensor, g: Tensor, axis: number): Tensor {
  const ax = normAxis(op, axis, x.rank);
  const kept = x.shape.map((d, i) => (i === ax ? 1 : d));
  if (op !== 'max') {
    const gk = g.reshape(kept);
    const out = expandTo(gk, x.shape, op === 'mean' ? 1 / x.shape[ax] : 1);
    gk.dispose();
    return out;
  }
  requireDtype('max_grad', x, 'f32');
  const geo = rowGeometry(x.shape, ax);
  const out = Tensor.empty(x.device, x.shape);
  const mode = rowMode(x.device, geo.rows);
  // ties share the gradient evenly
  const k = memo(`max_grad:${mode}`, () =>
    rowKernel(mode, 2, {
      name: 'max_grad',
      inputs: { X: 'f32', G: 'f32' },
      outputs: { O: 'f32' },
      params: ROW_PARAMS,
      body: (kit) => `${ROW_BASE}  var m: f32 = -3.4028234663852886e38;
  ${kit.loop('j', 'P.len')} { m = max(m, X[base + j * P.inner]); }
  m = ${kit.max('m', 0)};
  var c: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { c = c + select(0.0, 1.0, X[base + j * P.inner] == m); }
  let share = G[r] / ${kit.sum('c', 1)};
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; O[e] = select(0.0, share, X[e] == m); }`,
    }),
  );
  if (out.numel) k.launch(x.device, { inputs: [x.buffer, g.buffer], outputs: [out.buffer], count: geo.rows, params: { len: geo.len, inner: geo.inner } });
  return out;
}

/** The float64 reference of reduceBackward: g shaped like the output, kept axis or not; max ties share evenly. */
export function reduceGradRef(op: ReduceOp, x: HostTensor, axis: number, g: HostTensor): HostTensor {
  const out = host(x.shape);
  forEachRow(x.shape, axis, (at, row, len) => {
    const gr = g.data[row];
    if (op !== 'max') {
      for (let j = 0; j < len; j++) out.data[at(j)] = op === 'mean' ? gr / len : gr;
      return;
    }
    let m = -Infinity;
    for (let j = 0; j < len; j++) m = Math.max(m, x.data[at(j)]);
    let n = 0;
    for (let j = 0; j < len; j++) if (x.data[at(j)] === m) n++;
    for (let j = 0; j < len; j++) out.data[at(j)] = x.data[at(j)] === m ? gr / n : 0;
  });
  return out;
}

// ---- the public op -------------------------------------------------------------------------------

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function reduce(op: ReduceOp, x: Tensor, axis: number, keepDim = false): Tensor {
  if (!needsGrad(x)) return reduceKernel(op, x, axis, keepDim);
  const out = rawOf(x.device, () => reduceKernel(op, x, axis, keepDim));
  record(op, [x], [out], op === 'max' ? [x] : [], ([g], s) => [reduceBackward(op, op === 'max' ? s[0] : x, g!, axis)]);
  return out;
}

export const sum = (x: Tensor, axis: number, keepDim = false) => reduce('sum', x, axis, keepDim);
export const mean = (x: Tensor, axis: number, keepDim = false) => reduce('mean', x, axis, keepDim);
export const max = (x: Tensor, axis: number, keepDim = false) => reduce('max', x, axis, keepDim);
