// Plain scaled-dot-product attention: softmax(scale · q·kᵀ + mask) · v, materialising the L×L scores.
// It is the simple baseline (and the reference the fused kernels in @cleardit/attention must beat and
// match). q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv] → [..., Lq, Dv]. Reference: attention.ref.ts.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { matmul } from './matmul.js';
import { softmax } from './rows.js';
import { add } from './elementwise.js';

export interface AttentionOptions {
  /** Defaults to 1/√D. */
  scale?: number;
  /** Added to the scores before softmax; broadcasts to [..., Lq, Lk] (use -Infinity-like values to hide keys). */
  mask?: Tensor;
}

export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const d = q.shape[q.rank - 1];
  if (k.shape[k.rank - 1] !== d) throw new ShapeError(op, `q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} differ in head dim`);
  if (k.shape[k.rank - 2] !== v.shape[v.rank - 2]) throw new ShapeError(op, `k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} differ in length`);
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  return q.device.scope(() => {
    let scores = matmul(q, k, { transposeB: true, alpha: scale });
    if (opts.mask) scores = add(scores, opts.mask);
    return matmul(softmax(scores, -1), v);
  });
}
