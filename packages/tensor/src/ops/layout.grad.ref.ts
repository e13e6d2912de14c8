// Plain references for the layout gradients (layout.grad.ts and the layout ops' own backward).
import { host, type HostTensor } from './host.js';
import { permute as permuteRef, slice as sliceRef } from './layout.ref.js';

function oi(shape: number[], ax: number): [number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < ax; i++) outer *= shape[i];
  for (let i = ax + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, inner];
}

export function permute(g: HostTensor, perm: number[]): HostTensor {
  const p = perm.map((a) => (a < 0 ? a + g.shape.length : a));
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  return permuteRef(g, inv);
}

export function concat(g: HostTensor, sizes: number[], axis: number): HostTensor[] {
  let at = 0;
  return sizes.map((s) => {
    const t = sliceRef(g, axis, at, at + s);
    at += s;
    return t;
  });
}

export function slice(g: HostTensor, xShape: number[], axis: number, start: number): HostTensor {
  const ax = axis < 0 ? axis + xShape.length : axis;
  const out = host(xShape);
  const [outer, inner] = oi(xShape, ax);
  const len = xShape[ax];
  const glen = g.shape[ax];
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < glen; j++) for (let c = 0; c < inner; c++) out.data[(o * len + start + j) * inner + c] = g.data[(o * glen + j) * inner + c];
  return out;
}

export function indexSelect(g: HostTensor, index: HostTensor, xShape: number[], axis: number): HostTensor {
  const ax = axis < 0 ? axis + xShape.length : axis;
  const out = host(xShape);
  const [outer, inner] = oi(xShape, ax);
  const len = xShape[ax];
  const n = index.data.length;
  for (let o = 0; o < outer; o++)
    for (let r = 0; r < n; r++) {
      const k = index.data[r];
      if (k < 0 || k >= len) continue;
      for (let c = 0; c < inner; c++) out.data[(o * len + k) * inner + c] += g.data[(o * n + r) * inner + c];
    }
  return out;
}

export function upsampleNearest2x(g: HostTensor): HostTensor {
  const [h2, w2] = g.shape.slice(-2);
  const [h, w] = [h2 / 2, w2 / 2];
  const out = host([...g.shape.slice(0, -2), h, w]);
  const planes = out.data.length / (h * w || 1);
  for (let p = 0; p < planes; p++)
    for (let y = 0; y < h2; y++) for (let x = 0; x < w2; x++) out.data[(p * h + (y >> 1)) * w + (x >> 1)] += g.data[(p * h2 + y) * w2 + x];
  return out;
}
