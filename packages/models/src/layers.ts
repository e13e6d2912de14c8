// Building blocks shared by FLUX and DiT: modulation, heads split/merge, attention over a plan, MLPs.
// Shapes: B batch, L tokens, C = heads·D width.
import { type Tensor, linear, permute, slice, geluTanh, silu } from '@cleardit/tensor';
import { attention } from '@cleardit/attention';
import type { ForwardAttention } from './attention-mode.js';

/** (1 + scale)·LN(x) + shift, LN without affine, shift/scale [B, 1, C]: one kernel of @cleardit/tensor. */
export { modulate } from '@cleardit/tensor';

/** A Linear layer's tensors, as a bound parameter tree holds them (params.ts linearParams). */
export interface LinearWeights {
  readonly weight: Tensor;
  readonly bias: Tensor;
}

/** x · weightᵀ + bias for a Linear layer of a parameter tree. */
export const applyLinear = (x: Tensor, l: LinearWeights): Tensor => linear(x, l.weight, l.bias);

/** Splits [B, k·C] into k chunks of [B, 1, C] (adaLN modulation order). */
export function chunks(x: Tensor, k: number): Tensor[] {
  const [B, kc] = x.shape;
  const c = kc / k;
  return Array.from({ length: k }, (_, i) => slice(x, 1, i * c, (i + 1) * c).reshape([B, 1, c]));
}

/** [B, L, 3·H·D] laid out (3, H, D) → q, k, v [B, H, L, D]. */
export function splitQkv(qkv: Tensor, heads: number): [Tensor, Tensor, Tensor] {
  const [B, L, c3] = qkv.shape;
  const D = c3 / 3 / heads;
  const t = permute(qkv.reshape([B, L, 3, heads, D]), [2, 0, 3, 1, 4]); // [3, B, H, L, D]
  return [0, 1, 2].map((i) => slice(t, 0, i, i + 1).reshape([B, heads, L, D])) as [Tensor, Tensor, Tensor];
}

/** [B, H, L, D] → [B, L, H·D] (heads merged head-major). */
export function mergeHeads(x: Tensor): Tensor {
  const [B, H, L, D] = x.shape;
  return permute(x, [0, 2, 1, 3]).reshape([B, L, H * D]);
}

/** Attention over the forward's plan (full or CLEAR), q/k/v [B, H, L, D] → [B, L, H·D]; differentiable. */
export function attend(q: Tensor, k: Tensor, v: Tensor, a: ForwardAttention): Tensor {
  return mergeHeads(attention(a.plan, q, k, v, { scale: a.scale, spatialWeight: a.spatialWeight }));
}

/** Linear → GELU-tanh → Linear. */
export function mlp(x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Tensor {
  return linear(geluTanh(linear(x, w1, b1)), w2, b2);
}

/** Linear(SiLU(x)) — every adaLN modulation. */
export function siluLinear(x: Tensor, w: Tensor, b: Tensor): Tensor {
  return linear(silu(x), w, b);
}
