// FLOP accounting (spec/clear.md §5): attention FLOPs per layer = 4·ΣM·c, where ΣM counts visible
// (query, key) pairs exactly — border truncation included — and c is the model width (heads × head dim).
// 4 = two matrix products (q·kᵀ, P·v) × 2 FLOPs per multiply-add. Softmax and projections excluded.
import { type ClearGeometry, counts } from './geometry.js';

/** Image–image pairs with (Δy)² + (Δx)² < r² on an h×w grid: Σ over offsets of (h − |Δy|)(w − |Δx|). */
export function imagePairs(height: number, width: number, radius: number): number {
  const r2 = radius * radius;
  const reach = Math.ceil(radius) - 1;
  let n = 0;
  for (let dy = -Math.min(reach, height - 1); dy <= Math.min(reach, height - 1); dy++)
    for (let dx = -Math.min(reach, width - 1); dx <= Math.min(reach, width - 1); dx++)
      if (dy * dy + dx * dx < r2) n += (height - Math.abs(dy)) * (width - Math.abs(dx));
  return n;
}

/** ΣM of CLEAR: text rows see T + N keys; image rows see T text keys, the disc, and every pooled key. */
export function clearVisiblePairs(g: ClearGeometry): number {
  const { T, N, P } = counts(g);
  return T * (T + N) + N * T + imagePairs(g.height, g.width, g.radius) + N * P;
}

/** ΣM of full attention over T + N tokens. */
export function fullVisiblePairs(textLength: number, imageTokens: number): number {
  return (textLength + imageTokens) ** 2;
}

export const attentionFlops = (visiblePairs: number, width: number) => 4 * visiblePairs * width;

export interface FlopRow {
  resolution: number;
  radius: number;
  textLength: number;
  fullFlops: number;
  clearFlops: number;
}

/** FLUX geometry: 16 pixels per token (8× VAE, 2×2 packing), so a square image of R pixels has (R/16)² tokens. */
export function fluxFlops(resolution: number, radius: number, textLength = 512, width = 3072): FlopRow {
  const side = Math.floor(resolution / 16);
  const g = { height: side, width: side, textLength, radius };
  return {
    resolution,
    radius,
    textLength,
    fullFlops: attentionFlops(fullVisiblePairs(textLength, side * side), width),
    clearFlops: attentionFlops(clearVisiblePairs(g), width),
  };
}
