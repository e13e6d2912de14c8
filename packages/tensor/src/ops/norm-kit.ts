// What the normalisations share — layerNorm, rmsNorm, groupNorm and adaLN's modulate (one file each
// beside this one): where a row's affine parameters live, the parameter block, the row statistics in
// WGSL, the one forward kernel and the two backward kernels (dx with the statistics recomputed, then
// the weight and bias gradients reduced down the rows, one row per channel), and their float64
// references. Each norm is this kit with its row layout and channel rule. Internal: not exported from
// the package.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { memo, requireDtype, sameDevice } from './wgsl.js';
import { rowKernel, rowMode, type RowKit } from './reduce-kit.js';
import { host, type HostTensor } from './host.js';

/**
 * The affine channel of element j of row r: 'last' — j (layer and RMS norm); 'group' — group norm's
 * ⌊j / P.spatial⌋ + (r mod P.groups)·P.cpg.
 */
export type NormChannel = 'last' | 'group' | 'batch';
/** 'batch' (adaLN modulate): one affine row per batch item of P.spatial rows — [B, C] parameters. */
export const NORM_CHANNEL: Record<NormChannel, string> = { last: 'j', group: '(r % P.groups) * P.cpg + j / P.spatial', batch: '(r / P.spatial) * P.len + j' };
export const NORM_PARAMS = { len: 'u32', eps: 'f32', groups: 'u32', cpg: 'u32', spatial: 'u32' } as const;

/** WGSL: the row's mean `mu` and 1/σ `inv` over X[base + j] (RMS: mu = 0, σ² = mean x²), reductions in slots 0–1. */
export function normStats(kit: RowKit, rms: boolean): string {
  return rms
    ? `let mu = 0.0;
  var q: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { let v = X[base + j]; q = q + v * v; }
  let inv = inverseSqrt(${kit.sum('q', 0)} / f32(P.len) + P.eps);`
    : `var s0: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { s0 = s0 + X[base + j]; }
  let mu = ${kit.sum('s0', 0)} / f32(P.len);
  var q: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { let d = X[base + j] - mu; q = q + d * d; }
  let inv = inverseSqrt(${kit.sum('q', 1)} / f32(P.len) + P.eps);`;
}

export interface NormLayout {
  len: number;
  eps: number;
  channel: NormChannel;
  groups?: number;
  cpg?: number;
  spatial?: number;
}

export const normParams = (n: NormLayout) => ({ len: n.len, eps: n.eps, groups: n.groups ?? 1, cpg: n.cpg ?? 1, spatial: n.spatial ?? 1 });

/** Checks adaLN's x [B, L, C] against shift and scale [B, 1, C] (or [B, C]); returns B, L, C. */
export function modulateShapes(op: string, x: Tensor, shift: Tensor, scale: Tensor): [number, number, number] {
  for (const t of [x, shift, scale]) requireDtype(op, t, 'f32');
  if (x.rank !== 3) throw new ShapeError(op, `x must be [B, L, C], got ${fmtShape(x.shape)}`);
  const [B, L, C] = x.shape;
  for (const [name, t] of [
    ['shift', shift],
    ['scale', scale],
  ] as const)
    if (t.numel !== B * C || t.shape[0] !== B || t.shape[t.rank - 1] !== C)
      throw new ShapeError(op, `${name} must be [${B}, 1, ${C}] or [${B}, ${C}] for x ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
  return [B, L, C];
}

/** Checks an affine parameter: f32, shape [expect]. */
export function checkAffine(op: string, p: Tensor | undefined, expect: number, what: string): void {
  if (!p) return;
  requireDtype(op, p, 'f32');
  if (p.numel !== expect || p.rank !== 1) throw new ShapeError(op, `${what} must have shape [${expect}], got ${fmtShape(p.shape)}`);
}

// ---- forward -------------------------------------------------------------------------------------

/**
 * Normalises contiguous rows of `len`: (x − mean)/√(var + eps) (layer/group norm) or x/√(mean x² + eps)
 * (RMS norm), then an optional per-channel affine.
 */
export function normRows(op: string, x: Tensor, n: NormLayout, rms: boolean, weight: Tensor | undefined, bias: Tensor | undefined): Tensor {
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

// ---- backward ------------------------------------------------------------------------------------

export interface NormGrads {
  dx: Tensor;
  dweight?: Tensor;
  dbias?: Tensor;
}

/** A norm's backward: its rows, statistics rule, weight, and how its parameter gradients are laid out. */
export interface NormSpec {
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

/** dx (the row statistics recomputed), then dweight and dbias when wanted, one row of `count` elements per channel. */
export function normBackward(s: NormSpec): NormGrads {
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

// ---- float64 references --------------------------------------------------------------------------

/** A row's mean (0 for RMS norm) and 1/√(variance + eps) (mean square for RMS norm). */
export function rowStats(row: ArrayLike<number>, eps: number, rms: boolean): { mu: number; rstd: number } {
  const len = row.length;
  let mu = 0;
  if (!rms) {
    for (let j = 0; j < len; j++) mu += row[j];
    mu /= len;
  }
  let q = 0;
  for (let j = 0; j < len; j++) q += (row[j] - mu) ** 2;
  return { mu, rstd: 1 / Math.sqrt(q / len + eps) };
}

/** The float64 reference of normRows: `affine(row, j, x̂)` applies the norm's own parameters. */
export function normaliseRef(x: HostTensor, len: number, eps: number, rms: boolean, affine: (row: number, j: number, y: number) => number): HostTensor {
  const out = host(x.shape);
  const rows = len ? x.data.length / len : 0;
  for (let r = 0; r < rows; r++) {
    const row = x.data.subarray(r * len, (r + 1) * len);
    const { mu, rstd: inv } = rowStats(row, eps, rms);
    for (let j = 0; j < len; j++) out.data[r * len + j] = affine(r, j, (row[j] - mu) * inv);
  }
  return out;
}

export interface NormGradsRef {
  dx: HostTensor;
  dweight: HostTensor;
  dbias: HostTensor;
}

/** The float64 reference of normBackward: rows of `len`; channel(r, j) picks the affine parameter; `channels` parameters. */
export function normGradRef(
  x: HostTensor,
  g: HostTensor,
  len: number,
  eps: number,
  rms: boolean,
  w: HostTensor | undefined,
  channels: number,
  channel: (r: number, j: number) => number,
): NormGradsRef {
  const dx = host(x.shape);
  const dweight = host([channels]);
  const dbias = host([channels]);
  const rows = len ? x.data.length / len : 0;
  for (let r = 0; r < rows; r++) {
    const row = x.data.subarray(r * len, (r + 1) * len);
    const { mu, rstd } = rowStats(row, eps, rms);
    let a = 0;
    let b = 0;
    const gy = new Float64Array(len);
    for (let j = 0; j < len; j++) {
      const ch = channel(r, j);
      const gi = g.data[r * len + j];
      const xh = (row[j] - mu) * rstd;
      gy[j] = gi * (w ? w.data[ch] : 1);
      a += gy[j];
      b += gy[j] * xh;
      dweight.data[ch] += gi * xh;
      dbias.data[ch] += gi;
    }
    const ma = rms ? 0 : a / len;
    for (let j = 0; j < len; j++) dx.data[r * len + j] = rstd * (gy[j] - ma - (row[j] - mu) * rstd * (b / len));
  }
  return { dx, dweight, dbias };
}
