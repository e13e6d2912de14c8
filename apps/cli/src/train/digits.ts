// The digit teacher: a class-conditional DiT in pixel space (32×32×1, patch 2 → 16×16 tokens),
// trained with flow matching (the label 10 is "no class"): its config and the DiT as
// @cleardit/distill's trainer sees it. Sampling is @cleardit/pipelines' sampleDigits.
import type { DitConfig, DitTransformer } from '@cleardit/models';
import type { FlowModel } from '@cleardit/distill';

export function teacherConfig(width: number, depth: number, heads: number): DitConfig {
  return { inputSize: 32, patchSize: 2, inChannels: 1, hiddenSize: width, depth, numHeads: heads, mlpRatio: 4, numClasses: 10, learnSigma: false };
}

/** The DiT as the trainer's model: time t ∈ [0, 1] enters DiT's timestep embedding as 1000·t. */
export const flowModel =
  (dit: DitTransformer): FlowModel =>
  (xt, t, labels) =>
    dit.forward(
      xt,
      t.map((u) => 1000 * u),
      [...labels],
    );
