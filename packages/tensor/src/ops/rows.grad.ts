// Backward kernels of the row ops (rows.ts): max reduction, softmax, and layer / RMS / group norm.
// Same layout and row kit as the forward (reduce-kit.ts): a row of `len` elements at stride `inner`.
// The norms recompute the row statistics (mean, 1/σ) rather than saving them, write them beside dx,
// and a second kernel reduces the weight and bias gradients down the rows, one row per channel.
// Reference: rows.grad.ref.ts.

import { Tensor } from '../tensor.js';
import { fmtShape, normAxis } from '../shape.js';
import { ShapeError } from '../errors.js';
import { memo, requireDtype } from './wgsl.js';
import type { ReduceOp } from './rows.js';
import { type NormLayout, NORM_CHANNEL, NORM_PARAMS, modulateShapes, normParams, normStats } from './norm-kit.js';
import { addScalar } from './elementwise.js';
import { expandTo } from './elementwise.grad.js';
import { ROW_BASE, ROW_PARAMS, rowGeometry, rowKernel, rowMode } from './reduce-kit.js';

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

/** The gradient of softmax(x, axis) from its output y and the output's gradient g: y ⊙ (g − Σ g⊙y). */
export function softmaxBackward(y: Tensor, g: Tensor, axis = -1): Tensor {
  requireDtype('softmax_grad', y, 'f32');
  const geo = rowGeometry(y.shape, normAxis('softmax', axis, y.rank));
  const out = Tensor.empty(y.device, y.shape);
  const mode = rowMode(y.device, geo.rows);
  const k = memo(`softmax_grad:${mode}`, () =>
    rowKernel(mode, 1, {
      name: 'softmax_grad',
      inputs: { Y: 'f32', G: 'f32' },
      outputs: { O: 'f32' },
      params: ROW_PARAMS,
      body: (kit) => `${ROW_BASE}  var s: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; s = s + G[e] * Y[e]; }
  s = ${kit.sum('s', 0)};
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; O[e] = Y[e] * (G[e] - s); }`,
    }),
  );
  if (out.numel) k.launch(y.device, { inputs: [y.buffer, g.buffer], outputs: [out.buffer], count: geo.rows, params: { len: geo.len, inner: geo.inner } });
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
  layout: NormLayout;
  rms: boolean;
  weight?: Tensor;
  /** The parameter gradients: per channel c, `count` elements; WGSL giving the row and flat index of the k-th. */
  channels: number;
  count: number;
  rowOf: string;
  indexOf: string;
  wantWeight: boolean;
  wantBias: boolean;
}

function normBackward(s: NormSpec): NormGrads {
  const { x, g, layout } = s;
  const len = layout.len;
  requireDtype(s.op, x, 'f32');
  requireDtype(s.op, g, 'f32');
  if (g.numel !== x.numel) throw new ShapeError(s.op, `gradient ${fmtShape(g.shape)} does not match input ${fmtShape(x.shape)}`);
  const device = x.device;
  const rows = len === 0 ? 0 : x.numel / len;
  const dx = Tensor.empty(device, x.shape);
  const stats = Tensor.empty(device, [Math.max(rows, 1), 2]);
  const params = normParams(layout);
  const gy = s.weight ? `G[k] * W[${NORM_CHANNEL[layout.channel]}]` : 'G[k]';
  const mode = rowMode(device, rows);
  // recomputes the row statistics, writes them beside dx for the parameter gradients
  const kdx = memo(`norm_grad:${s.op}:${mode}:${s.rms}:${!!s.weight}:${layout.channel}`, () =>
    rowKernel(mode, 4, {
      name: `${s.op}_grad`,
      inputs: { X: 'f32', G: 'f32', ...(s.weight && { W: 'f32' }) },
      outputs: { DX: 'f32', ST: 'f32' },
      params: NORM_PARAMS,
      body: (kit) => `  let base = r * P.len;
  ${normStats(kit, s.rms)}
  var a: f32 = 0.0;
  var b: f32 = 0.0;
  ${kit.loop('j', 'P.len')} {
    let k = base + j;
    let gy = ${gy};
    a = a + gy;
    b = b + gy * (X[k] - mu) * inv;
  }
  let ma = ${s.rms ? '0.0' : `${kit.sum('a', 2)} / f32(P.len)`};
  let mb = ${kit.sum('b', 3)} / f32(P.len);
  ${kit.loop('j', 'P.len')} {
    let k = base + j;
    let gy = ${gy};
    DX[k] = inv * (gy - ma - (X[k] - mu) * inv * mb);
  }
  ${kit.once('ST[2u * r] = mu; ST[2u * r + 1u] = inv;')}`,
    }),
  );
  if (dx.numel)
    kdx.launch(device, { inputs: [x.buffer, g.buffer, ...(s.weight ? [s.weight.buffer] : [])], outputs: [dx.buffer, stats.buffer], count: rows, params });
  const result: NormGrads = { dx };
  if (s.wantWeight || s.wantBias) {
    const dw = s.wantWeight ? Tensor.empty(device, [s.channels]) : undefined;
    const db = s.wantBias ? Tensor.empty(device, [s.channels]) : undefined;
    const pmode = rowMode(device, s.channels);
    const kp = memo(`norm_param_grad:${s.op}:${pmode}:${!!dw}:${!!db}`, () =>
      rowKernel(pmode, 2, {
        name: `${s.op}_param_grad`,
        inputs: { X: 'f32', G: 'f32', ST: 'f32' },
        outputs: { ...(dw && { DW: 'f32' }), ...(db && { DB: 'f32' }) },
        params: { ...NORM_PARAMS, rowsPer: 'u32' },
        body: (kit) => `  let c = r;
  var aw: f32 = 0.0;
  var ab: f32 = 0.0;
  ${kit.loop('k', 'P.rowsPer')} {
    let row = ${s.rowOf};
    let i = ${s.indexOf};
    let gi = G[i];
    aw = aw + gi * (X[i] - ST[2u * row]) * ST[2u * row + 1u];
    ab = ab + gi;
  }
  ${[dw && `let tw = ${kit.sum('aw', 0)}; ${kit.once('DW[c] = tw;')}`, db && `let tb = ${kit.sum('ab', 1)}; ${kit.once('DB[c] = tb;')}`].filter(Boolean).join('\n  ')}`,
      }),
    );
    const outs = [dw, db].filter((t): t is Tensor => !!t);
    if (s.channels)
      kp.launch(device, {
        inputs: [x.buffer, g.buffer, stats.buffer],
        outputs: outs.map((t) => t.buffer),
        count: s.channels,
        params: { ...params, rowsPer: s.count },
      });
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
    op: 'layerNorm',
    x,
    g,
    layout: { len: d, eps: opts.eps ?? 1e-5, channel: 'last' },
    rms: false,
    weight: opts.weight,
    channels: d,
    count: rows,
    rowOf: 'k',
    indexOf: 'k * P.len + c',
    wantWeight: !!opts.wantWeight,
    wantBias: !!opts.wantBias,
  });
}

export interface ModulateGrads {
  dx?: Tensor;
  dshift?: Tensor;
  dscale?: Tensor;
}

/**
 * Gradients of modulate(x, shift, scale, eps): the norm backward with (1 + scale) as a per-batch
 * weight; dscale[b, c] = Σ_t g·x̂ and dshift[b, c] = Σ_t g over the batch item's L tokens (the norm's
 * parameter-gradient kernel with one channel per (b, c)). Shaped like shift and scale.
 */
export function modulateBackward(
  x: Tensor,
  g: Tensor,
  shift: Tensor,
  scale: Tensor,
  eps: number,
  want: { x: boolean; shift: boolean; scale: boolean },
): ModulateGrads {
  const [B, L, C] = modulateShapes('modulate_grad', x, shift, scale);
  const w = addScalar(scale, 1);
  const r = normBackward({
    op: 'modulate',
    x,
    g,
    layout: { len: C, eps, channel: 'batch', spatial: L },
    rms: false,
    weight: w,
    channels: B * C,
    count: L,
    rowOf: '(c / P.len) * P.spatial + k',
    indexOf: '((c / P.len) * P.spatial + k) * P.len + c % P.len',
    wantWeight: want.scale,
    wantBias: want.shift,
  });
  w.dispose();
  if (!want.x) r.dx.dispose();
  const shaped = (t: Tensor | undefined, like: Tensor) => {
    if (!t) return undefined;
    const v = t.reshape(like.shape);
    t.dispose();
    return v;
  };
  return { dx: want.x ? r.dx : undefined, dscale: shaped(r.dweight, scale), dshift: shaped(r.dbias, shift) };
}

/** Gradients of rmsNorm(x, weight, eps). */
export function rmsNormBackward(x: Tensor, g: Tensor, weight: Tensor | undefined, eps = 1e-6, wantWeight = false): NormGrads {
  const d = x.shape[x.rank - 1];
  const rows = d ? x.numel / d : 0;
  return normBackward({
    op: 'rmsNorm',
    x,
    g,
    layout: { len: d, eps, channel: 'last' },
    rms: true,
    weight,
    channels: d,
    count: rows,
    rowOf: 'k',
    indexOf: 'k * P.len + c',
    wantWeight,
    wantBias: false,
  });
}

/** Gradients of groupNorm(x, groups, {weight, bias, eps}) over [N, C, ...spatial]. */
export function groupNormBackward(x: Tensor, g: Tensor, groups: number, opts: NormBackwardOptions = {}): NormGrads {
  const [n, c] = x.shape;
  const spatial = x.numel / (n * c || 1);
  const cpg = c / groups;
  const len = cpg * spatial;
  return normBackward({
    op: 'groupNorm',
    x,
    g,
    layout: { len, eps: opts.eps ?? 1e-5, channel: 'group', groups, cpg, spatial },
    rms: false,
    weight: opts.weight,
    channels: c,
    count: n * spatial,
    rowOf: '(k / P.spatial) * P.groups + c / P.cpg',
    indexOf: '((k / P.spatial) * P.groups * P.cpg + c) * P.spatial + k % P.spatial',
    wantWeight: !!opts.wantWeight,
    wantBias: !!opts.wantBias,
  });
}
