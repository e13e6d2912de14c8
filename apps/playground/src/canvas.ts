// Drawing a grayscale digit ([side, side] in [−1, 1], the sampler's latent) onto a canvas at its own
// pixel size; CSS scales it up with crisp pixels. The byte mapping is gridPixels', as `cleardit generate` writes PNGs.
import { gridPixels } from '@cleardit/pipelines';

export function drawDigit(canvas: HTMLCanvasElement, values: Float32Array, side: number): Uint8Array {
  const { pixels } = gridPixels(values, 1, side);
  canvas.width = side;
  canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < pixels.length; i++) img.data.set([pixels[i], pixels[i], pixels[i], 255], 4 * i);
  ctx.putImageData(img, 0, 0);
  return pixels;
}

/** RGBA bytes (a decoded FLUX image) onto a canvas at their own size. */
export function drawRgba(canvas: HTMLCanvasElement, rgba: Uint8Array, width: number, height: number): void {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(width, height);
  img.data.set(rgba);
  ctx.putImageData(img, 0, 0);
}

/** Planar RGB [3, h, w] in [−1, 1] (a latent preview) onto a canvas. */
export function drawRgbPlanes(canvas: HTMLCanvasElement, rgb: Float32Array, h: number, w: number): void {
  const n = h * w;
  const rgba = new Uint8Array(4 * n);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 4; c++) rgba[4 * i + c] = c === 3 ? 255 : Math.round(Math.min(1, Math.max(0, (rgb[c * n + i] + 1) / 2)) * 255);
  drawRgba(canvas, rgba, w, h);
}
