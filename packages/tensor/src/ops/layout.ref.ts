// Plain references for layout.ts: permute, concat, slice, indexSelect, nearest 2× upsampling.
import { stridesOf } from '../shape.js';
import { host, type HostTensor } from './host.js';

export function permute(x: HostTensor, perm: number[]): HostTensor {
  const p = perm.map((a) => (a < 0 ? a + x.shape.length : a));
  const shape = p.map((a) => x.shape[a]);
  const out = host(shape);
  const xs = stridesOf(x.shape);
  const os = stridesOf(shape);
  for (let i = 0; i < out.data.length; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += (Math.floor(i / os[d]) % shape[d]) * xs[p[d]];
    out.data[i] = x.data[src];
  }
  return out;
}

function oi(shape: number[], ax: number): [number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i];
  for (let i = ax + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, inner];
}

export function concat(xs: HostTensor[], axis: number): HostTensor {
  const ax = axis < 0 ? axis + xs[0].shape.length : axis;
  const total = xs.reduce((s, t) => s + t.shape[ax], 0);
  const shape = xs[0].shape.map((d, i) => (i === ax ? total : d));
  const out = host(shape);
  const [outer, inner] = oi(shape, ax);
  let at = 0;
  for (const t of xs) {
    const len = t.shape[ax];
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < len; j++) for (let c = 0; c < inner; c++) out.data[(o * total + at + j) * inner + c] = t.data[(o * len + j) * inner + c];
    at += len;
  }
  return out;
}

export function slice(x: HostTensor, axis: number, start: number, end?: number): HostTensor {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const len = x.shape[ax];
  const s = start < 0 ? start + len : start;
  const e = end === undefined ? len : end < 0 ? end + len : end;
  const shape = x.shape.map((d, i) => (i === ax ? e - s : d));
  const out = host(shape);
  const [outer, inner] = oi(x.shape, ax);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < e - s; j++) for (let c = 0; c < inner; c++) out.data[(o * (e - s) + j) * inner + c] = x.data[(o * len + s + j) * inner + c];
  return out;
}

export function indexSelect(x: HostTensor, axis: number, index: HostTensor): HostTensor {
  const ax = axis < 0 ? axis + x.shape.length : axis;
  const [outer, inner] = oi(x.shape, ax);
  const len = x.shape[ax];
  const n = index.data.length;
  const out = host([...x.shape.slice(0, ax), ...index.shape, ...x.shape.slice(ax + 1)]);
  for (let o = 0; o < outer; o++)
    for (let r = 0; r < n; r++) {
      const k = index.data[r];
      for (let c = 0; c < inner; c++) out.data[(o * n + r) * inner + c] = k >= 0 && k < len ? x.data[(o * len + k) * inner + c] : 0;
    }
  return out;
}

export function upsampleNearest2x(x: HostTensor): HostTensor {
  const [h, w] = x.shape.slice(-2);
  const out = host([...x.shape.slice(0, -2), 2 * h, 2 * w]);
  const planes = x.data.length / (h * w || 1);
  for (let p = 0; p < planes; p++)
    for (let y = 0; y < 2 * h; y++) for (let xx = 0; xx < 2 * w; xx++) out.data[(p * 2 * h + y) * 2 * w + xx] = x.data[(p * h + (y >> 1)) * w + (xx >> 1)];
  return out;
}
