// Plain float64 reference for attention.grad.ts: [dq, dk, dv, dmask] of softmax(s·q·kᵀ + mask)·v
// against g, by the textbook chain rule on the reference forward's pieces.
import { binary } from './elementwise.ref.js';
import type { HostTensor } from './host.js';
import { matmul } from './matmul.ref.js';
import { softmax } from './rows.ref.js';
import { softmax as softmaxGrad } from './rows.grad.ref.js';
import { matmul as matmulGrad } from './matmul.grad.ref.js';
import { sumToShape } from './elementwise.grad.ref.js';

export function scaledDotProductAttention(
  q: HostTensor,
  k: HostTensor,
  v: HostTensor,
  g: HostTensor,
  opts: { scale?: number; mask?: HostTensor } = {},
): { dq: HostTensor; dk: HostTensor; dv: HostTensor; dmask?: HostTensor } {
  const scale = opts.scale ?? 1 / Math.sqrt(q.shape[q.shape.length - 1]);
  let s = matmul(q, k, { transposeB: true, alpha: scale });
  if (opts.mask) s = binary('add', s, opts.mask);
  const p = softmax(s, -1);
  const [dp, dv] = matmulGrad(p, v, g);
  const ds = softmaxGrad(p, dp, -1);
  const [dq, dk] = matmulGrad(q, k, ds, { transposeB: true, alpha: scale });
  return { dq, dk, dv, dmask: opts.mask ? sumToShape(ds, opts.mask.shape) : undefined };
}
