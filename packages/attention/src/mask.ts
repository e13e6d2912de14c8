// The CLEAR mask rule, one (query, key) pair at a time, and the dense mask built from it.
// This is the contract every kernel must honour (spec/clear.md §2–3):
//   text query  → every text and image key (never a pooled key);
//   image query → every text key, every pooled key, and the image keys strictly inside the disc.
// Slow by design: tests and the dense reference use it; kernels use the tile plan.
import { type ClearGeometry, counts } from './geometry.js';

export function isVisible(g: ClearGeometry, query: number, key: number): boolean {
  const { T, L } = counts(g);
  if (query < T) return key < L; // text rows: text + image keys
  if (key < T || key >= L) return true; // image rows: all text keys and all pooled keys
  const w = g.width;
  const dy = Math.floor((query - T) / w) - Math.floor((key - T) / w);
  const dx = ((query - T) % w) - ((key - T) % w);
  return dy * dy + dx * dx < g.radius * g.radius;
}

/** The L × Lk mask (1 = visible), row-major. Memory grows with L²: for tests and small references only. */
export function denseMask(g: ClearGeometry): Uint8Array {
  const { L, Lk } = counts(g);
  const m = new Uint8Array(L * Lk);
  for (let i = 0; i < L; i++) for (let j = 0; j < Lk; j++) m[i * Lk + j] = isVisible(g, i, j) ? 1 : 0;
  return m;
}

/** ΣM by brute force over every pair. */
export function countVisibleBruteForce(g: ClearGeometry): number {
  const { L, Lk } = counts(g);
  let n = 0;
  for (let i = 0; i < L; i++) for (let j = 0; j < Lk; j++) if (isVisible(g, i, j)) n++;
  return n;
}
