// Row kernels: reductions (sum, mean, max), softmax and the normalisations (layer, RMS, group).
// The tensor is viewed as [outer, len, inner] around the reduced axis, giving outer·inner rows of `len`
// elements at stride `inner`. One workgroup of 64 threads owns a row: each thread strides over it,
// then a shared-memory tree combines the partials. Accumulation is f32. Reference: rows.ref.ts.

import { Tensor } from '../tensor.js';
import type { Device } from '../device/device.js';
import { ShapeError } from '../errors.js';
import { fmtShape, normAxis } from '../shape.js';
import { f32Lit, requireDtype, sameDevice } from './wgsl.js';
import { RW, wgReductions } from './reduce-kit.js';


interface RowGeometry {
  rows: number;
  len: number;
  inner: number;
}

function geometry(shape: readonly number[], axis: number): RowGeometry {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { rows: outer * inner, len: shape[axis], inner };
}

function rowGrid(device: Device, rows: number): { workgroups: [number, number]; xCount: number } {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.max(1, Math.min(rows, max));
  return { workgroups: [rows === 0 ? 0 : x, Math.ceil(rows / max)], xCount: x };
}

/** WGSL shared by every row kernel: row/lane ids, element addressing and workgroup reductions. */
function rowPrelude(g: RowGeometry, xCount: number): string {
  return `
const LEN: u32 = ${g.len}u;
const INNER: u32 = ${g.inner}u;
// Two slots, one per reduction in a kernel: Mesa llvmpipe (22.3, through Dawn's GL backend) lets a
// later reduction's stores overtake an earlier one's final read despite the barrier between them
// (measured: layer norm variance off by 7%), so consecutive reductions never share memory.
${wgReductions(2, ['sum', 'max'])}
fn at(base: u32, j: u32) -> u32 { return base + j * INNER; }
// row r covers elements base + j·INNER, j < LEN
fn row_base(r: u32) -> u32 { return (r / INNER) * LEN * INNER + r % INNER; }
const XCOUNT: u32 = ${xCount}u;
const ROWS: u32 = ${g.rows}u;
`;
}

const ENTRY = `@compute @workgroup_size(${RW})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let r = wid.x + wid.y * XCOUNT;
  if (r >= ROWS) { return; }
  let lid = lidv.x;
  let base = row_base(r);`;

export type ReduceOp = 'sum' | 'mean' | 'max';

/** Reduces one axis. `keepDim` keeps it with size 1. */
export function reduce(op: ReduceOp, x: Tensor, axis: number, keepDim = false): Tensor {
  requireDtype(op, x, 'f32');
  const ax = normAxis(op, axis, x.rank);
  if (op === 'max' && x.shape[ax] === 0) throw new ShapeError(op, `cannot take the max over an empty axis of ${fmtShape(x.shape)}`);
  const g = geometry(x.shape, ax);
  const outShape = keepDim ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  const out = Tensor.empty(x.device, outShape);
  const rg = rowGrid(x.device, g.rows);
  const init = op === 'max' ? '-3.4028234663852886e38' : '0.0';
  const combine = op === 'max' ? 'max(acc, X[at(base, j)])' : 'acc + X[at(base, j)]';
  const finish = op === 'mean' ? `t / ${f32Lit(g.len)}` : 't';
  const code = `${rowPrelude(g, rg.xCount)}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
${ENTRY}
  var acc: f32 = ${init};
  for (var j = lid; j < LEN; j = j + ${RW}u) { acc = ${combine}; }
  let t = wg_${op === 'max' ? 'max' : 'sum'}(acc, lid, 0u);
  if (lid == 0u) { O[r] = ${finish}; }
}`;
  x.device.dispatch({ name: op, code, inputs: [x.buffer], outputs: [out.buffer], workgroups: rg.workgroups });
  return out;
}

export const sum = (x: Tensor, axis: number, keepDim = false) => reduce('sum', x, axis, keepDim);
export const mean = (x: Tensor, axis: number, keepDim = false) => reduce('mean', x, axis, keepDim);
export const max = (x: Tensor, axis: number, keepDim = false) => reduce('max', x, axis, keepDim);

/** softmax along `axis` (default the last), max-subtracted. */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireDtype('softmax', x, 'f32');
  const g = geometry(x.shape, normAxis('softmax', axis, x.rank));
  const out = Tensor.empty(x.device, x.shape);
  const rg = rowGrid(x.device, g.rows);
  const code = `${rowPrelude(g, rg.xCount)}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> O: array<f32>;
${ENTRY}
  var m: f32 = -3.4028234663852886e38;
  for (var j = lid; j < LEN; j = j + ${RW}u) { m = max(m, X[at(base, j)]); }
  m = wg_max(m, lid, 0u);
  var s: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { s = s + exp(X[at(base, j)] - m); }
  s = wg_sum(s, lid, 1u);
  let inv = 1.0 / s;
  for (var j = lid; j < LEN; j = j + ${RW}u) { O[at(base, j)] = exp(X[at(base, j)] - m) * inv; }
}`;
  x.device.dispatch({ name: 'softmax', code, inputs: [x.buffer], outputs: [out.buffer], workgroups: rg.workgroups });
  return out;
}

function checkParam(op: string, p: Tensor | undefined, expect: number, what: string): void {
  if (!p) return;
  requireDtype(op, p, 'f32');
  if (p.numel !== expect || p.rank !== 1) throw new ShapeError(op, `${what} must have shape [${expect}], got ${fmtShape(p.shape)}`);
}

/**
 * Normalises contiguous rows of `len`: (x − mean)/√(var + eps) (layer/group norm) or x/√(mean x² + eps)
 * (RMS norm), then an optional per-channel affine where channel = ⌊j / perChannel⌋ + groupIndex·channelsPerRow.
 */
function normRows(
  op: string,
  x: Tensor,
  len: number,
  eps: number,
  rms: boolean,
  weight: Tensor | undefined,
  bias: Tensor | undefined,
  channel: string,
): Tensor {
  const device = sameDevice(op, x, ...[weight, bias].filter((t): t is Tensor => !!t));
  const g: RowGeometry = { rows: len === 0 ? 0 : x.numel / len, len, inner: 1 };
  const out = Tensor.empty(device, x.shape);
  const rg = rowGrid(device, g.rows);
  const inputs = [x.buffer];
  let decl = '';
  if (weight) {
    decl += `@group(0) @binding(${inputs.length}) var<storage, read> W: array<f32>;\n`;
    inputs.push(weight.buffer);
  }
  if (bias) {
    decl += `@group(0) @binding(${inputs.length}) var<storage, read> Bv: array<f32>;\n`;
    inputs.push(bias.buffer);
  }
  let y = '(X[at(base, j)] - mu) * inv';
  if (weight) y = `${y} * W[${channel}]`;
  if (bias) y = `${y} + Bv[${channel}]`;
  const stats = rms
    ? `let mu = 0.0;
  var q: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { let v = X[at(base, j)]; q = q + v * v; }
  let inv = inverseSqrt(wg_sum(q, lid, 0u) / ${f32Lit(len)} + ${f32Lit(eps)});`
    : `var s: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { s = s + X[at(base, j)]; }
  let mu = wg_sum(s, lid, 0u) / ${f32Lit(len)};
  var q: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { let d = X[at(base, j)] - mu; q = q + d * d; }
  let inv = inverseSqrt(wg_sum(q, lid, 1u) / ${f32Lit(len)} + ${f32Lit(eps)});`;
  const code = `${rowPrelude(g, rg.xCount)}
@group(0) @binding(0) var<storage, read> X: array<f32>;
${decl}@group(0) @binding(${inputs.length}) var<storage, read_write> O: array<f32>;
${ENTRY}
  ${stats}
  for (var j = lid; j < LEN; j = j + ${RW}u) { O[at(base, j)] = ${y}; }
}`;
  device.dispatch({ name: op, code, inputs, outputs: [out.buffer], workgroups: rg.workgroups });
  return out;
}

/** LayerNorm over the last axis, with optional affine weight and bias of shape [D]. */
export function layerNorm(x: Tensor, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  requireDtype('layerNorm', x, 'f32');
  const d = x.shape[x.rank - 1];
  if (x.rank === 0) throw new ShapeError('layerNorm', 'needs at least one axis');
  checkParam('layerNorm', opts.weight, d, 'weight');
  checkParam('layerNorm', opts.bias, d, 'bias');
  return normRows('layerNorm', x, d, opts.eps ?? 1e-5, false, opts.weight, opts.bias, 'j');
}

/** RMSNorm over the last axis: x / √(mean(x²) + eps) · weight. */
export function rmsNorm(x: Tensor, weight: Tensor | undefined, eps = 1e-6): Tensor {
  requireDtype('rmsNorm', x, 'f32');
  const d = x.shape[x.rank - 1];
  checkParam('rmsNorm', weight, d, 'weight');
  return normRows('rmsNorm', x, d, eps, true, weight, undefined, 'j');
}

/** GroupNorm over [N, C, ...spatial]: statistics per (sample, group of C/groups channels). */
export function groupNorm(x: Tensor, groups: number, opts: { weight?: Tensor; bias?: Tensor; eps?: number } = {}): Tensor {
  requireDtype('groupNorm', x, 'f32');
  if (x.rank < 2) throw new ShapeError('groupNorm', `expects [N, C, ...], got ${fmtShape(x.shape)}`);
  const c = x.shape[1];
  if (!Number.isInteger(groups) || groups <= 0 || c % groups)
    throw new ShapeError('groupNorm', `${c} channels do not split into ${groups} groups`);
  checkParam('groupNorm', opts.weight, c, 'weight');
  checkParam('groupNorm', opts.bias, c, 'bias');
  const spatial = x.numel / (x.shape[0] * c || 1);
  const cpg = c / groups;
  const channel = `(r % ${groups}u) * ${cpg}u + j / ${spatial}u`;
  return normRows('groupNorm', x, cpg * spatial, opts.eps ?? 1e-5, false, opts.weight, opts.bias, channel);
}

