// Plain float64 references for rows.grad.ts: gradients of the reductions, softmax and the norms.
import { host, type HostTensor } from './host.js';
import type { ReduceOp } from './rows.js';
import { rowStats } from './rows.ref.js';

function geom(shape: number[], axis: number) {
  const ax = axis < 0 ? axis + shape.length : axis;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i];
  for (let i = ax + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, inner, len: shape[ax] };
}

/** The gradient of reduce(op, x, axis) given g (shaped like the output, kept axis or not). Max ties share evenly. */
export function reduce(op: ReduceOp, x: HostTensor, axis: number, g: HostTensor): HostTensor {
  const { outer, inner, len } = geom(x.shape, axis);
  const out = host(x.shape);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < inner; c++) {
      const at = (j: number) => (o * len + j) * inner + c;
      const gr = g.data[o * inner + c];
      if (op !== 'max') {
        for (let j = 0; j < len; j++) out.data[at(j)] = op === 'mean' ? gr / len : gr;
        continue;
      }
      let m = -Infinity;
      for (let j = 0; j < len; j++) m = Math.max(m, x.data[at(j)]);
      let n = 0;
      for (let j = 0; j < len; j++) if (x.data[at(j)] === m) n++;
      for (let j = 0; j < len; j++) out.data[at(j)] = x.data[at(j)] === m ? gr / n : 0;
    }
  return out;
}

/** The gradient of softmax(x, axis) given its output y and g. */
export function softmax(y: HostTensor, g: HostTensor, axis = -1): HostTensor {
  const { outer, inner, len } = geom(y.shape, axis);
  const out = host(y.shape);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < inner; c++) {
      const at = (j: number) => (o * len + j) * inner + c;
      let s = 0;
      for (let j = 0; j < len; j++) s += g.data[at(j)] * y.data[at(j)];
      for (let j = 0; j < len; j++) out.data[at(j)] = y.data[at(j)] * (g.data[at(j)] - s);
    }
  return out;
}

export interface NormGradsRef {
  dx: HostTensor;
  dweight: HostTensor;
  dbias: HostTensor;
}

/** Rows of `len`; channel(r, j) picks the affine parameter; `channels` parameters. */
function norm(
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

export function layerNorm(x: HostTensor, g: HostTensor, opts: { weight?: HostTensor; eps?: number } = {}): NormGradsRef {
  const d = x.shape[x.shape.length - 1];
  return norm(x, g, d, opts.eps ?? 1e-5, false, opts.weight, d, (_, j) => j);
}

export function rmsNorm(x: HostTensor, g: HostTensor, weight: HostTensor | undefined, eps = 1e-6): NormGradsRef {
  const d = x.shape[x.shape.length - 1];
  return norm(x, g, d, eps, true, weight, d, (_, j) => j);
}

export function groupNorm(x: HostTensor, g: HostTensor, groups: number, opts: { weight?: HostTensor; eps?: number } = {}): NormGradsRef {
  const c = x.shape[1];
  const spatial = x.data.length / (x.shape[0] * c || 1);
  const cpg = c / groups;
  return norm(x, g, cpg * spatial, opts.eps ?? 1e-5, false, opts.weight, c, (r, j) => (r % groups) * cpg + Math.floor(j / spatial));
}

/** Gradients of modulate: dx, and dshift, dscale shaped like shift and scale. */
export function modulate(
  x: HostTensor,
  g: HostTensor,
  shift: HostTensor,
  scale: HostTensor,
  eps = 1e-6,
): { dx: HostTensor; dshift: HostTensor; dscale: HostTensor } {
  const [B, L, C] = x.shape;
  const w = host(
    [B * C],
    Array.from(scale.data, (v) => 1 + v),
  );
  const r = norm(x, g, C, eps, false, w, B * C, (row, j) => Math.floor(row / L) * C + j);
  return { dx: r.dx, dshift: host(shift.shape, r.dbias.data), dscale: host(scale.shape, r.dweight.data) };
}
