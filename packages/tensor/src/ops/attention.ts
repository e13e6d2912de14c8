// scaledDotProductAttention, the plain one: softmax(scale · q·kᵀ + mask) · v, materialising the L×L
// scores — the simple baseline (and the reference the fused kernels in @cleardit/attention must beat
// and match). q [..., Lq, D], k [..., Lk, D], v [..., Lk, Dv] → [..., Lq, Dv]. Here: the op composed
// of the matmul and softmax kernels, its float64 reference, the backward and its reference, and the
// public differentiable op. The backward recomputes the probabilities rather than saving them, so
// training holds q, k, v (not the L×L matrix) between forward and backward:
//   P = softmax(s·q·kᵀ + mask);  dV = Pᵀ·G;  dP = G·vᵀ;  dS = P ⊙ (dP − Σ dP⊙P);
//   dQ = s·dS·k;  dK = s·dSᵀ·q;  dmask = dS summed to the mask's shape.

import type { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { matmulGradRef, matmulKernel, matmulRef } from './matmul.js';
import { softmaxBackward, softmaxGradRef, softmaxKernel, softmaxRef } from './softmax.js';
import { add } from './elementwise.js';
import { reduceTo, sumToShape } from './elementwise.grad.js';
import { binary as binaryRef } from './elementwise.ref.js';
import { sumToShape as sumToShapeRef } from './elementwise.grad.ref.js';
import type { HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

export interface AttentionOptions {
  /** Defaults to 1/√D. */
  scale?: number;
  /** Added to the scores before softmax; broadcasts to [..., Lq, Lk] (use -Infinity-like values to hide keys). */
  mask?: Tensor;
}

/** The op from the raw matmul and softmax kernels (the L×L scores live inside its scope only). */
export function scaledDotProductAttentionKernel(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const d = q.shape[q.rank - 1];
  if (k.shape[k.rank - 1] !== d) throw new ShapeError(op, `q ${fmtShape(q.shape)} and k ${fmtShape(k.shape)} differ in head dim`);
  if (k.shape[k.rank - 2] !== v.shape[v.rank - 2]) throw new ShapeError(op, `k ${fmtShape(k.shape)} and v ${fmtShape(v.shape)} differ in length`);
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  return q.device.scope(() => {
    let scores = matmulKernel(q, k, { transposeB: true, alpha: scale });
    if (opts.mask) scores = add(scores, opts.mask);
    return matmulKernel(softmaxKernel(scores, -1), v);
  });
}

/** The float64 reference of scaledDotProductAttentionKernel. */
export function scaledDotProductAttentionRef(q: HostTensor, k: HostTensor, v: HostTensor, opts: { scale?: number; mask?: HostTensor } = {}): HostTensor {
  const d = q.shape[q.shape.length - 1];
  let s = matmulRef(q, k, { transposeB: true, alpha: opts.scale ?? 1 / Math.sqrt(d) });
  if (opts.mask) s = binaryRef('add', s, opts.mask);
  return matmulRef(softmaxRef(s, -1), v);
}

// ---- backward ------------------------------------------------------------------------------------

export interface AttentionGrads {
  dq?: Tensor;
  dk?: Tensor;
  dv?: Tensor;
  dmask?: Tensor;
}

/** dq, dk, dv and dmask (those wanted) of the op given the output's gradient g, P recomputed. */
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
    let s = matmulKernel(q, k, { transposeB: true, alpha: scale });
    if (opts.mask) s = add(s, opts.mask);
    return softmaxKernel(s, -1);
  });
  if (want.v) res.dv = reduceTo(matmulKernel(p, g, { transposeA: true }), v.shape);
  if (want.q || want.k || want.mask) {
    const ds = device.scope(() => softmaxBackward(p, matmulKernel(g, v, { transposeB: true })));
    p.dispose();
    p = ds;
    if (want.q) res.dq = reduceTo(matmulKernel(ds, k, { alpha: scale }), q.shape);
    if (want.k) res.dk = reduceTo(matmulKernel(ds, q, { transposeA: true, alpha: scale }), k.shape);
    if (want.mask && opts.mask) res.dmask = sumToShape(ds, opts.mask.shape);
  }
  p.dispose();
  return res;
}

/** The float64 reference of scaledDotProductAttentionBackward, by the textbook chain rule on the reference forward's pieces. */
export function scaledDotProductAttentionGradRef(
  q: HostTensor,
  k: HostTensor,
  v: HostTensor,
  g: HostTensor,
  opts: { scale?: number; mask?: HostTensor } = {},
): { dq: HostTensor; dk: HostTensor; dv: HostTensor; dmask?: HostTensor } {
  const scale = opts.scale ?? 1 / Math.sqrt(q.shape[q.shape.length - 1]);
  let s = matmulRef(q, k, { transposeB: true, alpha: scale });
  if (opts.mask) s = binaryRef('add', s, opts.mask);
  const p = softmaxRef(s, -1);
  const [dp, dv] = matmulGradRef(p, v, g);
  const ds = softmaxGradRef(p, dp, -1);
  const [dq, dk] = matmulGradRef(q, k, ds, { transposeB: true, alpha: scale });
  return { dq, dk, dv, dmask: opts.mask ? sumToShapeRef(ds, opts.mask.shape) : undefined };
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  if (!needsGrad(q, k, v, opts.mask)) return scaledDotProductAttentionKernel(q, k, v, opts);
  const out = rawOf(q.device, () => scaledDotProductAttentionKernel(q, k, v, opts));
  const save = opts.mask ? [q, k, v, opts.mask] : [q, k, v];
  record('scaledDotProductAttention', [q, k, v, opts.mask], [out], save, ([g], [sq, sk, sv, sm], need) => {
    const r = scaledDotProductAttentionBackward(sq, sk, sv, g!, { scale: opts.scale, mask: sm }, { q: need[0], k: need[1], v: need[2], mask: need[3] });
    return [r.dq, r.dk, r.dv, r.dmask];
  });
  return out;
}
