// A labelled image set in host memory, and the order a training run visits it: a seeded permutation
// per epoch (Fisher–Yates over host Philox draws), so batch k of a run is a function of (seed, k)
// alone and a resumed run sees exactly the batches an uninterrupted one would.
import { uniformValues } from '@cleardit/tensor';

export interface ImageSet {
  /** [n, channels, height, width] values, flattened. */
  images: Float32Array;
  labels: Int32Array;
  shape: readonly [number, number, number];
  /** Number of classes (labels are 0..classes-1). */
  classes: number;
}

export const imageCount = (s: ImageSet) => s.labels.length;

/** A permutation of 0..n-1 from (seed, epoch). */
export function epochOrder(seed: number, epoch: number, n: number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const u = uniformValues(derivedSeed(seed, 0x0de7, epoch), n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A seed for one use (`stream`) at one position (`index`) of a run: distinct streams never collide. */
export function derivedSeed(seed: number, stream: number, index: number): number {
  return ((seed * 0x9e3779b1) ^ (stream * 0x85ebca6b) ^ (index * 0xc2b2ae35)) >>> 0;
}

/** The indices of batch `step` (batch size b): positions step·b … step·b + b − 1 of the epoch orders. */
export class BatchOrder {
  private cached: { epoch: number; order: Uint32Array } | undefined;
  constructor(
    readonly seed: number,
    readonly n: number,
    readonly batch: number,
  ) {}

  indices(step: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.batch; i++) {
      const k = step * this.batch + i;
      const epoch = Math.floor(k / this.n);
      if (this.cached?.epoch !== epoch) this.cached = { epoch, order: epochOrder(this.seed, epoch, this.n) };
      out.push(this.cached.order[k % this.n]);
    }
    return out;
  }
}

/** The images and labels at `indices`, gathered on the host. */
export function gatherBatch(set: ImageSet, indices: readonly number[]): { images: Float32Array; labels: number[] } {
  const per = set.shape[0] * set.shape[1] * set.shape[2];
  const images = new Float32Array(indices.length * per);
  indices.forEach((idx, b) => images.set(set.images.subarray(idx * per, (idx + 1) * per), b * per));
  return { images, labels: indices.map((i) => set.labels[i]) };
}
