// Plain float64 reference for resize.ts (same index rules, no GPU).

import { ref } from '@cleardit/tensor';
import type { ResizeMode } from './resize.js';

export function resizeRef(x: ref.HostTensor, height: number, width: number, mode: ResizeMode = 'bilinear'): ref.HostTensor {
  const [h, w] = x.shape.slice(-2);
  const planes = x.data.length / (h * w);
  const out = ref.host([...x.shape.slice(0, -2), height, width]);
  const at = (p: number, y: number, xx: number) => x.data[p * h * w + y * w + xx];
  const src = (d: number, n: number, m: number) => Math.max((d + 0.5) * (n / m) - 0.5, 0);
  for (let p = 0; p < planes; p++)
    for (let oy = 0; oy < height; oy++)
      for (let ox = 0; ox < width; ox++) {
        let v: number;
        if (mode === 'nearest') v = at(p, Math.min(Math.floor((oy * h) / height), h - 1), Math.min(Math.floor((ox * w) / width), w - 1));
        else {
          const fy = src(oy, h, height);
          const fx = src(ox, w, width);
          const y0 = Math.min(Math.floor(fy), h - 1);
          const x0 = Math.min(Math.floor(fx), w - 1);
          const y1 = Math.min(y0 + 1, h - 1);
          const x1 = Math.min(x0 + 1, w - 1);
          const [ly, lx] = [fy - y0, fx - x0];
          const top = (1 - lx) * at(p, y0, x0) + lx * at(p, y0, x1);
          const bot = (1 - lx) * at(p, y1, x0) + lx * at(p, y1, x1);
          v = (1 - ly) * top + ly * bot;
        }
        out.data[p * height * width + oy * width + ox] = v;
      }
  return out;
}
