// What the normalisation kernels share, forward (rows.ts) and backward (rows.grad.ts): where a row's
// affine parameters live, the parameter block, the statistics in WGSL, and adaLN's shape check.
// Internal: not exported from the package.

import type { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { requireDtype } from './wgsl.js';
import type { RowKit } from './reduce-kit.js';

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
