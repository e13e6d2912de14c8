// Row kernels: reductions (sum, mean, max), softmax and the normalisations (layer, RMS, group).
// The tensor is viewed as [outer, len, inner] around the reduced axis, giving outer·inner rows of `len`
// elements at stride `inner`. A row is one workgroup on GPUs and one invocation on software adapters
// (reduce-kit.ts); sizes and eps are kernel parameters. Accumulation is f32. Reference: rows.ref.ts.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape, normAxis } from '../shape.js';
import { memo, requireDtype, sameDevice } from './wgsl.js';
import { ROW_BASE, ROW_PARAMS, rowGeometry, rowKernel, rowMode } from './reduce-kit.js';
import { type NormLayout, NORM_CHANNEL, NORM_PARAMS, modulateShapes, normParams, normStats } from './norm-kit.js';
import { addScalar } from './elementwise.js';

export type ReduceOp = 'sum' | 'mean' | 'max';

/** Reduces one axis. `keepDim` keeps it with size 1. */
export function reduce(op: ReduceOp, x: Tensor, axis: number, keepDim = false): Tensor {
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

export const sum = (x: Tensor, axis: number, keepDim = false) => reduce('sum', x, axis, keepDim);
export const mean = (x: Tensor, axis: number, keepDim = false) => reduce('mean', x, axis, keepDim);
export const max = (x: Tensor, axis: number, keepDim = false) => reduce('max', x, axis, keepDim);

/** softmax along `axis` (default the last), max-subtracted. */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireDtype('softmax', x, 'f32');
  const g = rowGeometry(x.shape, normAxis('softmax', axis, x.rank));
  const out = Tensor.empty(x.device, x.shape);
  const mode = rowMode(x.device, g.rows);
  const k = memo(`softmax:${mode}`, () =>
    rowKernel(mode, 2, {
      name: 'softmax',
      inputs: { X: 'f32' },
      outputs: { O: 'f32' },
      params: ROW_PARAMS,
      body: (kit) => `${ROW_BASE}  var m: f32 = -3.4028234663852886e38;
  ${kit.loop('j', 'P.len')} { m = max(m, X[base + j * P.inner]); }
  m = ${kit.max('m', 0)};
  var s: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { s = s + exp(X[base + j * P.inner] - m); }
  let inv = 1.0 / ${kit.sum('s', 1)};
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; O[e] = exp(X[e] - m) * inv; }`,
    }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: g.rows, params: { len: g.len, inner: g.inner } });
  return out;
}

function checkParam(op: string, p: Tensor | undefined, expect: number, what: string): void {
  if (!p) return;
  requireDtype(op, p, 'f32');
  if (p.numel !== expect || p.rank !== 1) throw new ShapeError(op, `${what} must have shape [${expect}], got ${fmtShape(p.shape)}`);
}

/**
 * Normalises contiguous rows of `len`: (x − mean)/√(var + eps) (layer/group norm) or x/√(mean x² + eps)
 * (RMS norm), then an optional per-channel affine.
 */
function normRows(op: string, x: Tensor, n: NormLayout, rms: boolean, weight: Tensor | undefined, bias: Tensor | undefined): Tensor {
  const device = sameDevice(op, x, ...[weight, bias].filter((t): t is Tensor => !!t));
  const rows = n.len === 0 ? 0 : x.numel / n.len;
  const out = Tensor.empty(device, x.shape);
  const mode = rowMode(device, rows);
  const ch = NORM_CHANNEL[n.channel];
  let y = '(X[base + j] - mu) * inv';
  if (weight) y = `${y} * W[${ch}]`;
  if (bias) y = `${y} + Bv[${ch}]`;
  const k = memo(`norm:${op}:${mode}:${rms}:${!!weight}:${!!bias}:${n.channel}`, () =>
    rowKernel(mode, 2, {
      name: op,
      inputs: { X: 'f32', ...(weight && { W: 'f32' }), ...(bias && { Bv: 'f32' }) },
      outputs: { O: 'f32' },
      params: NORM_PARAMS,
      body: (kit) => `  let base = r * P.len;
  ${normStats(kit, rms)}
  ${kit.loop('j', 'P.len')} { O[base + j] = ${y}; }`,
    }),
  );
  const inputs = [x.buffer, ...(weight ? [weight.buffer] : []), ...(bias ? [bias.buffer] : [])];
  k.launch(device, { inputs, outputs: [out.buffer], count: rows, params: normParams(n) });
  return out;
}

/**
 * adaLN modulation, DiT's and FLUX's `modulate`: LayerNorm(x) without affine, then · (1 + scale) +
 * shift per batch item — one row kernel instead of a norm and two broadcast passes.
 * x [B, L, C]; shift, scale [B, 1, C] or [B, C].
 */
export function modulate(x: Tensor, shift: Tensor, scale: Tensor, eps = 1e-6): Tensor {
  const [, L, C] = modulateShapes('modulate', x, shift, scale);
  sameDevice('modulate', x, shift, scale);
  const w = addScalar(scale, 1);
  const out = normRows('modulate', x, { len: C, eps, channel: 'batch', spatial: L }, false, w, shift);
  w.dispose();
  return out;
}

/** LayerNorm over the last axis, with optional affine weight and bias of shape [D]. */
export function layerNorm(x: Tensor, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  requireDtype('layerNorm', x, 'f32');
  const d = x.shape[x.rank - 1];
  if (x.rank === 0) throw new ShapeError('layerNorm', 'needs at least one axis');
  checkParam('layerNorm', opts.weight, d, 'weight');
  checkParam('layerNorm', opts.bias, d, 'bias');
  return normRows('layerNorm', x, { len: d, eps: opts.eps ?? 1e-5, channel: 'last' }, false, opts.weight, opts.bias);
}

/** RMSNorm over the last axis: x / √(mean(x²) + eps) · weight. */
export function rmsNorm(x: Tensor, weight: Tensor | undefined, eps = 1e-6): Tensor {
  requireDtype('rmsNorm', x, 'f32');
  const d = x.shape[x.rank - 1];
  checkParam('rmsNorm', weight, d, 'weight');
  return normRows('rmsNorm', x, { len: d, eps, channel: 'last' }, true, weight, undefined);
}

/** GroupNorm over [N, C, ...spatial]: statistics per (sample, group of C/groups channels). */
export function groupNorm(x: Tensor, groups: number, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  requireDtype('groupNorm', x, 'f32');
  if (x.rank < 2) throw new ShapeError('groupNorm', `expects [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1];
  if (!Number.isInteger(groups) || groups <= 0 || c % groups) throw new ShapeError('groupNorm', `${c} channels do not split into ${groups} groups`);
  checkParam('groupNorm', opts.weight, c, 'weight');
  checkParam('groupNorm', opts.bias, c, 'bias');
  const spatial = x.numel / (x.shape[0] * c || 1);
  const cpg = c / groups;
  return normRows('groupNorm', x, { len: cpg * spatial, eps: opts.eps ?? 1e-5, channel: 'group', groups, cpg, spatial }, false, opts.weight, opts.bias);
}
