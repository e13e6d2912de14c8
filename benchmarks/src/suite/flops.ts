// FLOP counts of one model forward, for the benchmark rows: every linear (and the patch conv) as
// 2·in·out per token, attention as 4·ΣM·c (QKᵀ and P·V, 2 FLOPs per multiply-add each). Norms,
// activations, RoPE and softmax's exps are left out: they are a few percent at these widths.
import { ditOutChannels, type DitConfig, type FluxConfig } from '@cleardit/models';

/** One DiT forward of one batch item; `pairs` is ΣM of one attention layer. */
export function ditForwardFlops(c: DitConfig, pairs: number): number {
  const D = c.hiddenSize;
  const M = Math.round(D * c.mlpRatio);
  const p = c.patchSize;
  const n = (c.inputSize / p) ** 2;
  const embed = 2 * n * c.inChannels * p * p * D + 2 * (256 * D + D * D);
  const block = 2 * D * 6 * D + 2 * n * D * 4 * D + 2 * n * D * M * 2 + 4 * pairs * D;
  const final = 2 * D * 2 * D + 2 * n * D * p * p * ditOutChannels(c);
  return embed + c.depth * block + final;
}

/** One FLUX forward of one batch item with N image and T text tokens; `pairs` is ΣM of one attention layer. */
export function fluxForwardFlops(c: FluxConfig, N: number, T: number, pairs: number): number {
  const C = c.hiddenSize;
  const M = Math.round(C * c.mlpRatio);
  const L = T + N;
  const vecEmbed = 2 * (256 * C + C * C) * (c.guidanceEmbed ? 2 : 1) + 2 * (c.vecInDim * C + C * C);
  const embed = 2 * N * c.inChannels * C + 2 * T * c.contextInDim * C + vecEmbed;
  const stream = (tokens: number) => 2 * C * 6 * C + 2 * tokens * C * 3 * C + 2 * tokens * C * C + 2 * tokens * C * M * 2;
  const double = stream(N) + stream(T) + 4 * pairs * C;
  const single = 2 * C * 3 * C + 2 * L * C * (3 * C + M) + 2 * L * (C + M) * C + 4 * pairs * C;
  const final = 2 * C * 2 * C + 2 * N * C * c.inChannels;
  return embed + c.depth * double + c.depthSingleBlocks * single + final;
}
