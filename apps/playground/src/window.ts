// The attention window of one query token: which keys it visits under a model's attention, from the
// CLEAR mask rule itself (@cleardit/attention's isVisible, the contract every kernel honours), as a
// grid-sized map for the overlay and the share of all keys. FLUX puts T text tokens first, and every
// image query sees all of them (a digit DiT has none); with a down factor d the N/d² pooled keys are
// visible to every image query too.
import { isVisible, counts, type ClearGeometry } from '@cleardit/attention';
import type { AttentionMode } from '@cleardit/models';

export interface AttentionWindow {
  /** grid × grid, 1 where the query sees that image key. */
  visible: Uint8Array;
  /** Keys the query visits (text keys, image keys in the window, pooled keys), and all keys. */
  visited: number;
  keys: number;
  /** Pooled keys among `keys` (0 without a down factor). */
  pooled: number;
}

export function attentionWindow(mode: AttentionMode, grid: number, row: number, col: number, textLength = 0): AttentionWindow {
  const N = grid * grid;
  const T = textLength;
  if (mode.kind === 'full') return { visible: new Uint8Array(N).fill(1), visited: T + N, keys: T + N, pooled: 0 };
  const g: ClearGeometry = { height: grid, width: grid, textLength: T, radius: mode.radius, downFactor: mode.downFactor ?? 1 };
  const { Lk, P } = counts(g);
  const q = T + row * grid + col;
  const visible = new Uint8Array(N);
  for (let k = 0; k < N; k++) visible[k] = isVisible(g, q, T + k) ? 1 : 0;
  const inWindow = visible.reduce((s, v) => s + v, 0);
  return { visible, visited: T + inWindow + P, keys: Lk, pooled: P };
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

/** FLUX's text band under the image: one cell per text token, all marked (every image query sees every text key). */
export function drawTextBand(canvas: HTMLCanvasElement, textLength: number): void {
  canvas.hidden = textLength === 0;
  if (!textLength) return;
  canvas.width = textLength;
  canvas.height = 1;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = 'rgba(64, 160, 255, 0.8)';
  ctx.fillRect(0, 0, textLength, 1);
}
