// Backward kernels of the row ops (rows.ts): max reduction, softmax, and layer / RMS / group norm.
// Same layout as the forward: one workgroup of 64 owns a row of `len` elements at stride `inner`.
// The norms recompute the row statistics (mean, 1/σ) rather than saving them, write them beside dx,
// and a second kernel reduces the weight and bias gradients down the rows, one workgroup per channel.
// Reference: rows.grad.ref.ts.

import { Tensor } from '../tensor.js';
import { fmtShape, normAxis } from '../shape.js';
import { ShapeError } from '../errors.js';
import { f32Lit, requireDtype } from './wgsl.js';
import type { ReduceOp } from './rows.js';
import { expandTo } from './elementwise.grad.js';
import { GROUP_ENTRY, RW, groupGrid, wgSum } from './reduce-kit.js';

function geometry(shape: readonly number[], axis: number) {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { rows: outer * inner, len: shape[axis], inner };
}

function rowHead(len: number, inner: number, slots: number): string {
  return `${wgSum(slots)}
var<workgroup> redmax: array<f32, ${RW}>;
fn wg_max(v: f32, lid: u32) -> f32 {
  redmax[lid] = v;
  workgroupBarrier();
  for (var s = ${RW / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { redmax[lid] = max(redmax[lid], redmax[lid + s]); }
    workgroupBarrier();
  }
  let r = redmax[0];
  workgroupBarrier();
  return r;
}
const LEN: u32 = ${len}u;
const INNER: u32 = ${inner}u;
fn at(base: u32, j: u32) -> u32 { return base + j * INNER; }
fn row_base(r: u32) -> u32 { return (r / INNER) * LEN * INNER + r % INNER; }`;
}

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
  const geo = geometry(x.shape, ax);
  const out = Tensor.empty(x.device, x.shape);
  const gg = groupGrid(x.device, geo.rows);
  // ties share the gradient evenly
  const code = `${rowHead(geo.len, geo.inner, 1)}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
${GROUP_ENTRY} {
  ${gg.id}
  let base = row_base(r);
  var m: f32 = -3.4028234663852886e38;
  for (var j = lid; j < LEN; j = j + ${RW}u) { m = max(m, X[at(base, j)]); }
  m = wg_max(m, lid);
  var c: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { c = c + select(0.0, 1.0, X[at(base, j)] == m); }
  let share = G[r] / wg_sum(c, lid, 0u);
  for (var j = lid; j < LEN; j = j + ${RW}u) { O[at(base, j)] = select(0.0, share, X[at(base, j)] == m); }
}`;
  if (out.numel) x.device.dispatch({ name: 'max_grad', code, inputs: [x.buffer, g.buffer], outputs: [out.buffer], workgroups: gg.workgroups });
  return out;
}

/** The gradient of softmax(x, axis) from its output y and the output's gradient g: y ⊙ (g − Σ g⊙y). */
export function softmaxBackward(y: Tensor, g: Tensor, axis = -1): Tensor {
  requireDtype('softmax_grad', y, 'f32');
  const geo = geometry(y.shape, normAxis('softmax', axis, y.rank));
  const out = Tensor.empty(y.device, y.shape);
  const gg = groupGrid(y.device, geo.rows);
  const code = `${rowHead(geo.len, geo.inner, 1)}
@group(0) @binding(0) var<storage, read> Y: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
${GROUP_ENTRY} {
  ${gg.id}
  let base = row_base(r);
  var s: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { s = s + G[at(base, j)] * Y[at(base, j)]; }
  s = wg_sum(s, lid, 0u);
  for (var j = lid; j < LEN; j = j + ${RW}u) { let k = at(base, j); O[k] = Y[k] * (G[k] - s); }
}`;
  if (out.numel) y.device.dispatch({ name: 'softmax_grad', code, inputs: [y.buffer, g.buffer], outputs: [out.buffer], workgroups: gg.workgroups });
  return out;
}

export interface NormGrads {
  dx: Tensor;
  dweight?: Tensor;
  dbias?: Tensor;
}

interface NormSpec {
  op: string;
  x: Tensor;
  g: Tensor;
  len: number;
  eps: number;
  rms: boolean;
  weight?: Tensor;
  /** channel of element j of row r (WGSL over r, j) */
  channel: string;
  /** the parameter gradients: per channel c, `count` elements; WGSL giving the row and flat index of the k-th */
  channels: number;
  count: number;
  rowOf: string;
  indexOf: string;
  wantWeight: boolean;
  wantBias: boolean;
}

function normBackward(s: NormSpec): NormGrads {
  const { x, g, len } = s;
  requireDtype(s.op, x, 'f32');
  requireDtype(s.op, g, 'f32');
  if (g.numel !== x.numel) throw new ShapeError(s.op, `gradient ${fmtShape(g.shape)} does not match input ${fmtShape(x.shape)}`);
  const device = x.device;
  const rows = len === 0 ? 0 : x.numel / len;
  const dx = Tensor.empty(device, x.shape);
  const stats = Tensor.empty(device, [Math.max(rows, 1), 2]);
  const inputs = [x.buffer, g.buffer];
  if (s.weight) inputs.push(s.weight.buffer);
  const gy = s.weight ? `G[k] * W[${s.channel}]` : 'G[k]';
  const stat = s.rms
    ? `let mu = 0.0;
  var q: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { let v = X[base + j]; q = q + v * v; }
  let rstd = inverseSqrt(wg_sum(q, lid, 0u) / ${f32Lit(len)} + ${f32Lit(s.eps)});`
    : `var s0: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { s0 = s0 + X[base + j]; }
  let mu = wg_sum(s0, lid, 0u) / ${f32Lit(len)};
  var q: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) { let d = X[base + j] - mu; q = q + d * d; }
  let rstd = inverseSqrt(wg_sum(q, lid, 1u) / ${f32Lit(len)} + ${f32Lit(s.eps)});`;
  const gg = groupGrid(device, rows);
  const code = `${wgSum(4)}
const LEN: u32 = ${len}u;
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
${s.weight ? '@group(0) @binding(2) var<storage, read> W: array<f32>;' : ''}
@group(0) @binding(${inputs.length}) var<storage, read_write> DX: array<f32>;
@group(0) @binding(${inputs.length + 1}) var<storage, read_write> ST: array<f32>;
${GROUP_ENTRY} {
  ${gg.id}
  let base = r * LEN;
  ${stat}
  var a: f32 = 0.0;
  var b: f32 = 0.0;
  for (var j = lid; j < LEN; j = j + ${RW}u) {
    let k = base + j;
    let gy = ${gy};
    a = a + gy;
    b = b + gy * (X[k] - mu) * rstd;
  }
  let ma = ${s.rms ? '0.0' : `wg_sum(a, lid, 2u) / ${f32Lit(len)}`};
  let mb = wg_sum(b, lid, 3u) / ${f32Lit(len)};
  for (var j = lid; j < LEN; j = j + ${RW}u) {
    let k = base + j;
    let gy = ${gy};
    DX[k] = rstd * (gy - ma - (X[k] - mu) * rstd * mb);
  }
  if (lid == 0u) { ST[2u * r] = mu; ST[2u * r + 1u] = rstd; }
}`;
  if (dx.numel) device.dispatch({ name: `${s.op}_grad`, code, inputs, outputs: [dx.buffer, stats.buffer], workgroups: gg.workgroups });
  const result: NormGrads = { dx };
  if (s.wantWeight || s.wantBias) {
    const outs: Tensor[] = [];
    const decl: string[] = [];
    const store: string[] = [];
    const dw = s.wantWeight ? Tensor.empty(device, [s.channels]) : undefined;
    const db = s.wantBias ? Tensor.empty(device, [s.channels]) : undefined;
    if (dw) {
      decl.push(`@group(0) @binding(${3 + outs.length}) var<storage, read_write> DW: array<f32>;`);
      store.push('let tw = wg_sum(aw, lid, 0u); if (lid == 0u) { DW[c] = tw; }');
      outs.push(dw);
    }
    if (db) {
      decl.push(`@group(0) @binding(${3 + outs.length}) var<storage, read_write> DB: array<f32>;`);
      store.push('let tb = wg_sum(ab, lid, 1u); if (lid == 0u) { DB[c] = tb; }');
      outs.push(db);
    }
    const pg = groupGrid(device, s.channels);
    const pcode = `${wgSum(2)}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> ST: array<f32>;
${decl.join('\n')}
${GROUP_ENTRY} {
  ${pg.id}
  let c = r;
  var aw: f32 = 0.0;
  var ab: f32 = 0.0;
  for (var k = lid; k < ${s.count}u; k = k + ${RW}u) {
    let row = ${s.rowOf};
    let i = ${s.indexOf};
    let gi = G[i];
    aw = aw + gi * (X[i] - ST[2u * row]) * ST[2u * row + 1u];
    ab = ab + gi;
  }
  ${store.join('\n  ')}
}`;
    if (s.channels) device.dispatch({ name: `${s.op}_param_grad`, code: pcode, inputs: [x.buffer, g.buffer, stats.buffer], outputs: outs.map((t) => t.buffer), workgroups: pg.workgroups });
    if (dw) result.dweight = dw;
    if (db) result.dbias = db;
  }
  stats.dispose();
  return result;
}

export interface NormBackwardOptions {
  weight?: Tensor;
  eps?: number;
  /** Which parameter gradients to compute (default: none). */
  wantWeight?: boolean;
  wantBias?: boolean;
}

/** Gradients of layerNorm(x, {weight, bias, eps}) over the last axis given the output's gradient g. */
export function layerNormBackward(x: Tensor, g: Tensor, opts: NormBackwardOptions = {}): NormGrads {
  const d = x.shape[x.rank - 1];
  const rows = d ? x.numel / d : 0;
  return normBackward({
    op: 'layerNorm', x, g, len: d, eps: opts.eps ?? 1e-5, rms: false, weight: opts.weight, channel: 'j',
    channels: d, count: rows, rowOf: 'k', indexOf: `k * ${d}u + c`,
    wantWeight: !!opts.wantWeight, wantBias: !!opts.wantBias,
  });
}

/** Gradients of rmsNorm(x, weight, eps). */
export function rmsNormBackward(x: Tensor, g: Tensor, weight: Tensor | undefined, eps = 1e-6, wantWeight = false): NormGrads {
  const d = x.shape[x.rank - 1];
  const rows = d ? x.numel / d : 0;
  return normBackward({
    op: 'rmsNorm', x, g, len: d, eps, rms: true, weight, channel: 'j',
    channels: d, count: rows, rowOf: 'k', indexOf: `k * ${d}u + c`,
    wantWeight, wantBias: false,
  });
}

/** Gradients of groupNorm(x, groups, {weight, bias, eps}) over [N, C, ...spatial]. */
export function groupNormBackward(x: Tensor, g: Tensor, groups: number, opts: NormBackwardOptions = {}): NormGrads {
  const [n, c] = x.shape;
  const spatial = x.numel / (n * c || 1);
  const cpg = c / groups;
  const len = cpg * spatial;
  return normBackward({
    op: 'groupNorm', x, g, len, eps: opts.eps ?? 1e-5, rms: false, weight: opts.weight,
    channel: `(r % ${groups}u) * ${cpg}u + j / ${spatial}u`,
    channels: c, count: n * spatial,
    rowOf: `(k / ${spatial}u) * ${groups}u + c / ${cpg}u`,
    indexOf: `((k / ${spatial}u) * ${c}u + c) * ${spatial}u + k % ${spatial}u`,
    wantWeight: !!opts.wantWeight, wantBias: !!opts.wantBias,
  });
}
