// Plain float64 references for rows.ts: reductions, softmax, layer/RMS/group norm.
import { host, type HostTensor } from './host.js';
import type { ReduceOp } from './rows.js';

function geom(shape: number[], axis: number) {
  const ax = axis < 0 ? axis + shape.length : axis;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i];
  for (let i = ax + 1; i < shape.length; i++) inner *= shape[i];
  return { ax, outer, inner, len: shape[ax] };
}

export function reduce(op: ReduceOp, x: HostTensor, axis: number, keepDim = false): HostTensor {
  const { ax, outer, inner, len } = geom(x.shape, axis);
  const shape = keepDim ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  const out = host(shape);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < inner; c++) {
      let acc = op === 'max' ? -Infinity : 0;
      for (let j = 0; j < len; j++) {
        const v = x.data[(o * len + j) * inner + c];
        acc = op === 'max' ? Math.max(acc, v) : acc + v;
      }
      out.data[o * inner + c] = op === 'mean' ? acc / len : acc;
    }
  return out;
}

export function softmax(x: HostTensor, axis = -1): HostTensor {
  const { outer, inner, len } = geom(x.shape, axis);
  const out = host(x.shape);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < inner; c++) {
      const at = (j: number) => (o * len + j) * inner + c;
      let m = -Infinity;
      for (let j = 0; j < len; j++) m = Math.max(m, x.data[at(j)]);
      let s = 0;
      for (let j = 0; j < len; j++) s += Math.exp(x.data[at(j)] - m);
      for (let j = 0; j < len; j++) out.data[at(j)] = Math.exp(x.data[at(j)] - m) / s;
    }
  return out;
}

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

function normalise(x: HostTensor, len: number, eps: number, rms: boolean, affine: (row: number, j: number, y: number) => number): HostTensor {
  const out = host(x.shape);
  const rows = len ? x.data.length / len : 0;
  for (let r = 0; r < rows; r++) {
    const row = x.data.subarray(r * len, (r + 1) * len);
    const { mu, rstd: inv } = rowStats(row, eps, rms);
    for (let j = 0; j < len; j++) out.data[r * len + j] = affine(r, j, (row[j] - mu) * inv);
  }
  return out;
}

export function layerNorm(x: HostTensor, opts: { weight?: HostTensor; bias?: HostTensor; eps?: number } = {}): HostTensor {
  const d = x.shape[x.shape.length - 1];
  return normalise(x, d, opts.eps ?? 1e-5, false, (_, j, y) => y * (opts.weight?.data[j] ?? 1) + (opts.bias?.data[j] ?? 0));
}

export function rmsNorm(x: HostTensor, weight: HostTensor | undefined, eps = 1e-6): HostTensor {
  const d = x.shape[x.shape.length - 1];
  return normalise(x, d, eps, true, (_, j, y) => y * (weight?.data[j] ?? 1));
}

export function groupNorm(x: HostTensor, groups: number, opts: { weight?: HostTensor; bias?: HostTensor; eps?: number } = {}): HostTensor {
  const c = x.shape[1];
  const spatial = x.data.length / (x.shape[0] * c || 1);
  const cpg = c / groups;
  return normalise(x, cpg * spatial, opts.eps ?? 1e-5, false, (r, j, y) => {
    const ch = (r % groups) * cpg + Math.floor(j / spatial);
    return y * (opts.weight?.data[ch] ?? 1) + (opts.bias?.data[ch] ?? 0);
  });
}

/** adaLN modulate: LayerNorm(x) (no affine) · (1 + scale) + shift, x [B, L, C], shift/scale B·C values. */
export function modulate(x: HostTensor, shift: HostTensor, scale: HostTensor, eps = 1e-6): HostTensor {
  const [, L, C] = x.shape;
  return normalise(x, C, eps, false, (r, j, y) => {
    const bc = Math.floor(r / L) * C + j;
    return y * (1 + scale.data[bc]) + shift.data[bc];
  });
}
