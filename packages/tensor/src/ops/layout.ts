// Ops that move elements without arithmetic: permute/transpose, concat, slice/split, index select
// (gather along an axis: embeddings, token reordering), and nearest 2× upsampling.
// Each output element is computed by one thread from its own index. Shapes stay in the kernel text
// (constant divisors are cheap; runtime ones are per-lane divisions on software adapters), so each
// shape compiles once. Reference: layout.ref.ts.

import { Tensor } from '../tensor.js';
import { DTypeError, ShapeError } from '../errors.js';
import { fmtShape, normAxis, stridesOf } from '../shape.js';
import { memo, requireDtype, sameDevice } from './wgsl.js';
import { defineKernel } from './kernel.js';
import type { DType } from '../dtype.js';

function scalarType(dtype: DType, op: string, t: Tensor): string {
  if (dtype === 'f16' || dtype === 'bf16') throw new DTypeError(op, `${dtype} tensor ${fmtShape(t.shape)}: cast it to f32 first`);
  return dtype;
}

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const op = 'permute';
  const ty = scalarType(x.dtype, op, x);
  const rank = x.rank;
  const p = perm.map((a) => normAxis(op, a, rank));
  if (p.length !== rank || new Set(p).size !== rank) throw new ShapeError(op, `[${perm.join(',')}] is not a permutation of ${rank} axes`);
  const outShape = p.map((a) => x.shape[a]);
  const out = Tensor.empty(x.device, outShape, x.dtype);
  const os = stridesOf(outShape);
  const xs = stridesOf(x.shape);
  const terms = p.map((a, i) => {
    const coord = i === 0 ? `(i / ${os[i]}u)` : `((i / ${os[i]}u) % ${outShape[i]}u)`;
    return `${coord} * ${xs[a]}u`;
  });
  const k = memo(`permute:${ty}:${x.shape}:${p}`, () =>
    defineKernel({ name: op, inputs: { X: ty }, outputs: { O: ty }, each: 'thread', body: `  O[i] = X[${terms.join(' + ') || '0u'}];` }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

/** Swaps two axes. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const [i, j] = [normAxis('transpose', a, x.rank), normAxis('transpose', b, x.rank)];
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}

function outerInner(shape: readonly number[], axis: number): [number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, inner];
}

/** Copies x[..., start:end, ...] (along `axis`) into `out` at offset `dstStart` of its axis. */
function copyBlock(x: Tensor, out: Tensor, axis: number, start: number, len: number, dstStart: number, op: string): void {
  const ty = scalarType(x.dtype, op, x);
  const [outer, inner] = outerInner(x.shape, axis);
  const srcLen = x.shape[axis];
  const dstLen = out.shape[axis];
  const n = outer * len * inner;
  // the block's geometry stays in the text: constant divisors are multiplications, runtime ones are
  // per-lane integer divisions on software adapters; where the block starts is a parameter
  const k = memo(`copyBlock:${op}:${ty}:${len}:${inner}:${srcLen}:${dstLen}`, () =>
    defineKernel({
      name: op,
      inputs: { X: ty },
      outputs: { O: ty },
      params: { start: 'u32', dstStart: 'u32' },
      each: 'thread',
      body: `  let o = i / ${len * inner}u;
  let r = i % ${len * inner}u;
  let j = r / ${inner}u;
  let c = r % ${inner}u;
  O[(o * ${dstLen}u + P.dstStart + j) * ${inner}u + c] = X[(o * ${srcLen}u + P.start + j) * ${inner}u + c];`,
    }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: n, params: { start, dstStart } });
}

/** Joins tensors along `axis`; every other axis must match. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const op = 'concat';
  if (!xs.length) throw new ShapeError(op, 'needs at least one tensor');
  const device = sameDevice(op, ...xs);
  const first = xs[0];
  const ax = normAxis(op, axis, first.rank);
  for (const t of xs) {
    if (t.dtype !== first.dtype) throw new DTypeError(op, `dtypes differ: ${first.dtype} and ${t.dtype}`);
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i]))
      throw new ShapeError(op, `shapes ${xs.map((x) => fmtShape(x.shape)).join(', ')} differ outside axis ${ax}`);
  }
  const total = xs.reduce((s, t) => s + t.shape[ax], 0);
  const out = Tensor.empty(
    device,
    first.shape.map((d, i) => (i === ax ? total : d)),
    first.dtype,
  );
  let at = 0;
  for (const t of xs) {
    copyBlock(t, out, ax, 0, t.shape[ax], at, op);
    at += t.shape[ax];
  }
  return out;
}

/** x[..., start:end, ...] along `axis` (end exclusive; negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const op = 'slice';
  const ax = normAxis(op, axis, x.rank);
  const len = x.shape[ax];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? len : end < 0 ? end + len : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > len || s > e)
    throw new ShapeError(op, `range ${start}:${end ?? ''} is outside axis ${ax} of ${fmtShape(x.shape)}`);
  const out = Tensor.empty(
    x.device,
    x.shape.map((d, i) => (i === ax ? e - s : d)),
    x.dtype,
  );
  copyBlock(x, out, ax, s, e - s, 0, op);
  return out;
}

/** Splits along `axis` into pieces of the given sizes (or `n` equal pieces when a number). */
export function split(x: Tensor, sizes: number | readonly number[], axis: number): Tensor[] {
  const ax = normAxis('split', axis, x.rank);
  const len = x.shape[ax];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (len % sizes) throw new ShapeError('split', `axis ${ax} of ${fmtShape(x.shape)} does not split into ${sizes} equal parts`);
    parts = Array(sizes).fill(len / sizes);
  } else parts = [...sizes];
  if (parts.reduce((a, b) => a + b, 0) !== len)
    throw new ShapeError('split', `sizes [${parts.join(',')}] do not add up to ${len} (axis ${ax} of ${fmtShape(x.shape)})`);
  let at = 0;
  return parts.map((p) => {
    const t = slice(x, ax, at, at + p);
    at += p;
    return t;
  });
}

/**
 * out = x indexed along `axis` by the integer tensor `index` (any shape): out.shape = x.shape[:axis] ++
 * index.shape ++ x.shape[axis+1:]. An index outside [0, len) yields zeros (WGSL cannot throw; callers
 * that take indices from users check them on the host).
 */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  const op = 'indexSelect';
  const device = sameDevice(op, x, index);
  requireDtype(op, index, 'i32', 'u32');
  const ty = scalarType(x.dtype, op, x);
  const ax = normAxis(op, axis, x.rank);
  const [, inner] = outerInner(x.shape, ax);
  const len = x.shape[ax];
  const n = index.numel;
  const out = Tensor.empty(device, [...x.shape.slice(0, ax), ...index.shape, ...x.shape.slice(ax + 1)], x.dtype);
  const k = memo(`indexSelect:${ty}:${index.dtype}:${n}:${inner}:${len}`, () =>
    defineKernel({
      name: op,
      inputs: { X: ty, I: index.dtype },
      outputs: { O: ty },
      each: 'thread',
      body: `  let o = i / ${n * inner}u;
  let r = i % ${n * inner}u;
  let k = i32(I[r / ${inner}u]);
  let c = r % ${inner}u;
  if (k < 0 || k >= ${len}) { O[i] = ${ty}(0); return; }
  O[i] = X[(o * ${len}u + u32(k)) * ${inner}u + c];`,
    }),
  );
  k.launch(device, { inputs: [x.buffer, index.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

/** Embedding lookup: table [V, D] indexed by an integer tensor → [...index.shape, D]. */
export function gather(table: Tensor, index: Tensor): Tensor {
  return indexSelect(table, 0, index);
}

/** Nearest-neighbour 2× upsampling of the last two axes ([..., H, W] → [..., 2H, 2W]). */
export function upsampleNearest2x(x: Tensor): Tensor {
  const op = 'upsampleNearest2x';
  requireDtype(op, x, 'f32');
  if (x.rank < 2) throw new ShapeError(op, `expects [..., H, W], got ${fmtShape(x.shape)}`);
  const [h, w] = x.shape.slice(-2);
  const out = Tensor.empty(x.device, [...x.shape.slice(0, -2), 2 * h, 2 * w]);
  const k = memo(`upsample2x:${h}:${w}`, () =>
    defineKernel({
      name: op,
      inputs: { X: 'f32' },
      outputs: { O: 'f32' },
      each: 'thread',
      body: `  let plane = i / ${4 * h * w}u;
  let r = i % ${4 * h * w}u;
  let y = r / ${2 * w}u;
  let xx = r % ${2 * w}u;
  O[i] = X[plane * ${h * w}u + (y / 2u) * ${w}u + xx / 2u];`,
    }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}
