// The attention window of one query token: which keys it visits under a model's attention, from the
// CLEAR mask rule itself (@cleardit/attention's isVisible, the contract every kernel honours), as a
// grid-sized map for the overlay and the share of all keys. A digit DiT has no text tokens (T = 0);
// with a down factor d the N/d² pooled keys are visible to every image query.
import { isVisible, counts, type ClearGeometry } from '@cleardit/attention';
import type { AttentionMode } from '@cleardit/models';

export interface AttentionWindow {
  /** grid × grid, 1 where the query sees that image key. */
  visible: Uint8Array;
  /** Keys the query visits (image keys in the window plus pooled keys), and all keys. */
  visited: number;
  keys: number;
  /** Pooled keys among `keys` (0 without a down factor). */
  pooled: number;
}

export function attentionWindow(mode: AttentionMode, grid: number, row: number, col: number): AttentionWindow {
  const N = grid * grid;
  if (mode.kind === 'full') return { visible: new Uint8Array(N).fill(1), visited: N, keys: N, pooled: 0 };
  const g: ClearGeometry = { height: grid, width: grid, textLength: 0, radius: mode.radius, downFactor: mode.downFactor ?? 1 };
  const { Lk, P } = counts(g);
  const q = row * grid + col;
  const visible = new Uint8Array(N);
  for (let k = 0; k < N; k++) visible[k] = isVisible(g, q, k) ? 1 : 0;
  const inWindow = visible.reduce((s, v) => s + v, 0);
  return { visible, visited: inWindow + P, keys: Lk, pooled: P };
}

/** Paints the window on an overlay canvas of grid × grid pixels (CSS scales it over the image). */
export function drawWindow(canvas: HTMLCanvasElement, w: AttentionWindow, grid: number, row: number, col: number): void {
  canvas.width = grid;
  canvas.height = grid;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(grid, grid);
  for (let k = 0; k < grid * grid; k++) {
    const query = k === row * grid + col;
    const [r, g, b, a] = query ? [255, 64, 64, 230] : w.visible[k] ? [64, 160, 255, 70] : [0, 0, 0, 0];
    img.data.set([r, g, b, a], 4 * k);
  }
  ctx.putImageData(img, 0, 0);
}
