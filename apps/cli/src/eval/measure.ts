// The measurements of `cleardit eval` on digit models, each on fixed seeds and classes:
// - velocity predictions on held-out digits noised at fixed times (a student's MSE against the teacher's);
// - samples (Euler 20 steps, CFG 4 unless told) from fixed noise, timed; PSNR of a student's against the teacher's;
// - class accuracy and features under the digit classifier (images above 32×32 are average-pooled to
//   32×32 first), and the Fréchet distance between two sets of features.
import { type Device, type Tensor, noGrad, normalValues, tensor } from '@cleardit/tensor';
import type { DitTransformer } from '@cleardit/models';
import { type ImageSet, derivedSeed } from '@cleardit/distill';
import { digitNoise, sampleDigits } from '@cleardit/pipelines';

/** Nearest-neighbour upscale of images [n, side, side] by `f`. */
export function upscale(images: Float32Array, side: number, f: number): Float32Array {
  if (f === 1) return images;
  const n = images.length / (side * side);
  const S = side * f;
  const out = new Float32Array(n * S * S);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) out[(i * S + y) * S + x] = images[(i * side + Math.floor(y / f)) * side + Math.floor(x / f)];
  return out;
}

/** Average-pools images [n, side, side] down to 32×32. */
export function toClassifierSize(images: Float32Array, side: number): Float32Array {
  const f = side / 32;
  if (f === 1) return images;
  const n = images.length / (side * side);
  const out = new Float32Array(n * 1024);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) out[i * 1024 + Math.floor(y / f) * 32 + Math.floor(x / f)] += images[(i * side + y) * side + x] / (f * f);
  return out;
}

/** PSNR in dB of images in [−1, 1] seen as pixels in [0, 1], per image, then averaged. */
export function meanPsnr(a: Float32Array, b: Float32Array, pixelsPerImage: number): number {
  const n = a.length / pixelsPerImage;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let se = 0;
    for (let j = i * pixelsPerImage; j < (i + 1) * pixelsPerImage; j++) {
      const d = (Math.min(1, Math.max(-1, a[j])) - Math.min(1, Math.max(-1, b[j]))) / 2;
      se += d * d;
    }
    const mse = se / pixelsPerImage;
    total += mse === 0 ? 100 : Math.min(100, -10 * Math.log10(mse));
  }
  return total / n;
}

export interface Drawn {
  images: Float32Array;
  /** Wall time per sample, ms (sampling only, after a warm-up batch compiled the kernels). */
  msPerSample: number;
}

/** `labels.length` samples at `side`² pixels, sample i from noise seed `seeds[i]`, `batch` at a time. */
export async function drawSamples(
  device: Device,
  dit: DitTransformer,
  labels: readonly number[],
  seeds: readonly number[],
  side: number,
  batch: number,
  cfg: number,
): Promise<Drawn> {
  const per = side * side;
  const images = new Float32Array(labels.length * per);
  // warm-up: compile every kernel at this batch and size before timing
  const warm = await sampleDigits(
    device,
    dit,
    labels.slice(0, Math.min(batch, labels.length)),
    digitNoise(seeds.slice(0, Math.min(batch, labels.length)), side),
    { side, steps: 1, cfg },
  );
  await warm.toFloat32();
  warm.dispose();
  const t0 = performance.now();
  for (let s = 0; s < labels.length; s += batch) {
    const l = labels.slice(s, s + batch);
    const x = await sampleDigits(device, dit, l, digitNoise(seeds.slice(s, s + batch), side), { side, cfg });
    images.set(await x.toFloat32(), s * per);
    x.dispose();
  }
  return { images, msPerSample: (performance.now() - t0) / labels.length };
}

/**
 * A model's velocity predictions on held-out digits x₀ (upscaled to `side`) noised to
 * x_t = (1 − t)·x₀ + t·ε at fixed times t = (i + 0.5)/count and fixed noise: [count, side, side] flat.
 * The same inputs for every model, so two models' predictions compare element by element.
 */
export async function predictions(device: Device, dit: DitTransformer, held: ImageSet, count: number, side: number, batch: number): Promise<Float32Array> {
  const per = side * side;
  const x0 = upscale(held.images.subarray(0, count * 1024), 32, side / 32);
  const out = new Float32Array(count * per);
  for (let s = 0; s < count; s += batch) {
    const n = Math.min(batch, count - s);
    const t = Array.from({ length: n }, (_, i) => (s + i + 0.5) / count);
    const labels = Array.from(held.labels.subarray(s, s + n));
    const eps = normalValues(derivedSeed(7, 0xe7a1, s), n * per);
    const xt = new Float32Array(n * per);
    for (let i = 0; i < n; i++) for (let j = 0; j < per; j++) xt[i * per + j] = (1 - t[i]) * x0[(s + i) * per + j] + t[i] * eps[i * per + j];
    const v: Tensor = noGrad(device, () =>
      device.scope(() =>
        dit.forward(
          tensor(device, xt, [n, 1, side, side]),
          t.map((u) => 1000 * u),
          labels,
        ),
      ),
    );
    out.set(await v.toFloat32(), s * per);
    v.dispose();
  }
  return out;
}

/** Mean squared difference of two equally long arrays, accumulated in float64. */
export function meanSquaredDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`meanSquaredDifference: lengths ${a.length} and ${b.length} differ`);
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se / a.length;
}
