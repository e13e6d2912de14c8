// Backward of the plain scaled-dot-product attention (attention.ts), composed of the forward's own
// kernels plus the softmax backward. The probabilities are recomputed rather than saved, so training
// holds q, k, v (not the L×L matrix) between forward and backward:
//   P = softmax(s·q·kᵀ + mask);  dV = Pᵀ·G;  dP = G·vᵀ;  dS = P ⊙ (dP − Σ dP⊙P);
//   dQ = s·dS·k;  dK = s·dSᵀ·q;  dmask = dS summed to the mask's shape.
// Reference: attention.grad.ref.ts.

import type { Tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { softmax } from './rows.js';
import { add } from './elementwise.js';
import { softmaxBackward } from './rows.grad.js';
import { sumToShape } from './elementwise.grad.js';

export interface AttentionGrads {
  dq?: Tensor;
  dk?: Tensor;
  dv?: Tensor;
  dmask?: Tensor;
}

function reduced(full: Tensor, shape: readonly number[]): Tensor {
  if (full.rank === shape.length && full.shape.every((d, i) => d === shape[i])) return full;
  const r = sumToShape(full, shape);
  full.dispose();
  return r;
}

export function scaledDotProductAttentionBackward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  g: Tensor,
  opts: { scale?: number; mask?: Tensor },
  want: { q?: boolean; k?: boolean; v?: boolean; mask?: boolean },
): AttentionGrads {
  const d = q.shape[q.rank - 1];
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  const res: AttentionGrads = {};
  const device = q.device;
  let p: Tensor = device.scope(() => {
    let s = matmul(q, k, { transposeB: true, alpha: scale });
    if (opts.mask) s = add(s, opts.mask);
    return softmax(s, -1);
  });
  if (want.v) res.dv = reduced(matmul(p, g, { transposeA: true }), v.shape);
  if (want.q || want.k || want.mask) {
    const ds = device.scope(() => softmaxBackward(p, matmul(g, v, { transposeB: true })));
    p.dispose();
    p = ds;
    if (want.q) res.dq = reduced(matmul(ds, k, { alpha: scale }), q.shape);
    if (want.k) res.dk = reduced(matmul(ds, q, { transposeA: true, alpha: scale }), k.shape);
    if (want.mask && opts.mask) res.dmask = sumToShape(ds, opts.mask.shape);
  }
  p.dispose();
  return res;
}
