// What DiT's two loops share: the model signature and classifier-free guidance as facebookresearch/DiT's
// forward_with_cfg does it (spec/sampler.md §2.5): batch [x; x] with labels [y; null], guidance on the
// first 3 ε channels only (the authors' kept quirk), the remaining channels from the conditional half.

import { type Tensor, ShapeError, add, concat, mulScalar, slice, sub } from '@cleardit/tensor';

/**
 * A class-conditional DiT: x [B, C, H, W], the original integer timestep t (0..999, no ×1000), one class
 * label per batch row. Returns [B, 2C, H, W] (ε, then the learned-variance values v ∈ [−1, 1]) or
 * [B, C, H, W] (ε only: fixed variance). Must return a new tensor; the loop disposes it.
 */
export type DiTModel = (x: Tensor, t: number, labels: readonly number[]) => Tensor;

/** DiT's guidance settings, shared by ddpm() and ddim(). */
export interface DiTGuidance {
  /** Guidance scale s (sample.py: 4.0). s ≤ 1 runs the model once, without the doubled batch. */
  guidanceScale?: number;
  /** The null (unconditional) label (1000 for ImageNet DiT). */
  nullClass?: number;
  /** How many leading ε channels are guided: 3 as in facebookresearch/DiT (default), 4 as diffusers. */
  guidanceChannels?: number;
}

/**
 * Guidance on a doubled batch's output [2B, Cout, …] ([cond; uncond]): returns [B, Cout, …] whose first
 * `channels` channels are ε_u + s·(ε_c − ε_u) and whose other channels are the conditional half's.
 */
export function classifierFreeGuidance(out: Tensor, scale: number, channels = 3): Tensor {
  const [b2, cOut] = out.shape;
  if (out.rank < 2 || b2 % 2 || !(channels >= 1 && channels <= cOut))
    throw new ShapeError('classifierFreeGuidance', `expects [2B, C ≥ ${channels}, …], got [${out.shape.join(', ')}]`);
  const b = b2 / 2;
  return out.device.scope(() => {
    const cond = slice(out, 0, 0, b);
    const uncond = slice(out, 0, b, b2);
    const ec = slice(cond, 1, 0, channels);
    const eu = slice(uncond, 1, 0, channels);
    const guided = add(eu, mulScalar(sub(ec, eu), scale));
    return channels === cOut ? guided : concat([guided, slice(cond, 1, channels, cOut)], 1);
  });
}

/** One (guided) model evaluation for a [B, …] latent: [B, Cout, …]. Call inside a device scope. */
export function ditOutput(model: DiTModel, x: Tensor, t: number, labels: readonly number[], g: DiTGuidance): Tensor {
  const { guidanceScale = 1, nullClass = 1000, guidanceChannels = 3 } = g;
  if (labels.length !== x.shape[0]) throw new ShapeError('dit sampler', `${labels.length} labels for a batch of ${x.shape[0]}`);
  let out: Tensor;
  if (guidanceScale > 1) {
    const both = model(concat([x, x], 0), t, [...labels, ...labels.map(() => nullClass)]);
    out = classifierFreeGuidance(both, guidanceScale, guidanceChannels);
  } else out = model(x, t, labels);
  const c = x.shape[1];
  if (out.rank !== x.rank || out.shape[0] !== x.shape[0] || (out.shape[1] !== c && out.shape[1] !== 2 * c))
    throw new ShapeError('dit sampler', `model returned [${out.shape.join(', ')}] for x [${x.shape.join(', ')}]; expected ${c} or ${2 * c} channels`);
  return out;
}
