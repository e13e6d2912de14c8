// Attention as a differentiable op: the fused forward, recorded on the autograd tape when q, k, v or
// the pooling map require gradients, with the fused backward (dq, dk/dv, dω) as its backward rule.
// This is how distillation trains a student's attention projections through CLEAR.
import { type Tensor, record, rawOf, anyNeedsGrad } from '@cleardit/tensor';
import { attentionForward, attentionBackward, type AttentionOptions, type DevicePlan } from './attention.js';

/** out = attention over the plan; gradients flow to q, k, v (and spatialWeight) when they require them. */
export function attention(dp: DevicePlan, q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const w = opts.spatialWeight;
  if (!anyNeedsGrad([q, k, v, w])) {
    const { out, stats } = attentionForward(dp, q, k, v, opts);
    stats.dispose();
    return out;
  }
  const fwd = rawOf(q.device, () => attentionForward(dp, q, k, v, opts));
  const stats = fwd.stats.keep();
  record('attention', [q, k, v, w], [fwd.out], w ? [q, k, v, fwd.out, stats, w] : [q, k, v, fwd.out, stats], ([g], saved) => {
    const [sq, sk, sv, so, ss, sw] = saved;
    const r = attentionBackward(dp, sq, sk, sv, { out: so, stats: ss }, g!, { ...opts, spatialWeight: sw });
    return [r.dq, r.dk, r.dv, r.dSpatialWeight];
  });
  stats.dispose(); // the tape holds its own view
  return fwd.out;
}
