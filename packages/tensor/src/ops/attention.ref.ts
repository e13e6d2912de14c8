// Plain float64 reference for attention.ts: softmax(scale·q·kᵀ + mask)·v.
import { binary } from './elementwise.ref.js';
import type { HostTensor } from './host.js';
import { matmul } from './matmul.ref.js';
import { softmax } from './rows.ref.js';

export function scaledDotProductAttention(q: HostTensor, k: HostTensor, v: HostTensor, opts: { scale?: number; mask?: HostTensor } = {}): HostTensor {
  const d = q.shape[q.shape.length - 1];
  let s = matmul(q, k, { transposeB: true, alpha: opts.scale ?? 1 / Math.sqrt(d) });
  if (opts.mask) s = binary('add', s, opts.mask);
  return matmul(softmax(s, -1), v);
}
