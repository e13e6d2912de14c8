// PNG output: RGBA (or grayscale) pixels with the generation parameters in text chunks — `parameters` in the
// A1111/stable-diffusion.cpp style that image viewers and tools already read, and `cleardit` as JSON —
// written atomically and never over an existing file unless asked.
import { encode, decode } from 'fast-png';
import { writeFileAtomic } from '@cleardit/tensor/node';

/** RGBA pixels, or one grayscale channel with `channels` 1. */
export function encodePng(pixels: Uint8Array, width: number, height: number, text: Record<string, string>, channels: 1 | 4 = 4): Uint8Array {
  return encode({ width, height, data: pixels, channels, depth: 8, text });
}

export async function writePng(path: string, png: Uint8Array, overwrite: boolean): Promise<void> {
  await writeFileAtomic(path, png, { overwrite });
}

/** Width, height and text chunks of a PNG (tests, and `--init-image` style reuse later). */
export function readPngInfo(bytes: Uint8Array): { width: number; height: number; text: Record<string, string> } {
  const img = decode(bytes);
  return { width: img.width, height: img.height, text: img.text };
}

/** Pictures of one size (`channels` values a pixel) tiled row by row into `cols` columns. */
export function tile(pictures: readonly Uint8Array[], width: number, height: number, channels: number, cols: number): { pixels: Uint8Array; width: number; height: number } {
  const rows = Math.ceil(pictures.length / cols);
  const W = cols * width;
  const pixels = new Uint8Array(W * rows * height * channels);
  pictures.forEach((p, i) => {
    const [r, c] = [Math.floor(i / cols), i % cols];
    for (let y = 0; y < height; y++) pixels.set(p.subarray(y * width * channels, (y + 1) * width * channels), ((r * height + y) * W + c * width) * channels);
  });
  return { pixels, width: W, height: rows * height };
}
