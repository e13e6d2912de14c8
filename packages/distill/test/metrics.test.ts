// What the evaluation scores with: the Fréchet distance against closed forms (independent of the
// Jacobi square roots it uses), the cross-entropy against a float64 host computation, and the digit
// classifier learning a separable toy task; DistillTrainer's losses against their definitions.
import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, type Tensor, tensor, normalValues, mul, mulScalar, uniformValues, tapeOf } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import {
  crossEntropy,
  frechetDistance,
  gaussianOf,
  sqrtSymmetric,
  symmetricEigen,
  trainClassifier,
  predict,
  accuracy,
  type Gaussian,
  type ImageSet,
} from '../src/index.js';
import { DistillTrainer, DISTILL_DEFAULTS, derivedSeed, recipeSigma, BatchOrder } from '../src/index.js';

let d: Device;
beforeAll(async () => {
  d = await createDevice();
});

/** A random rotation of R^n (Gram–Schmidt of Gaussian columns), row-major. */
function rotation(n: number, seed: number): Float64Array {
  const g = normalValues(seed, n * n);
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const v = Float64Array.from({ length: n }, (_, i) => g[i * n + j]);
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i] * q[i * n + k];
      for (let i = 0; i < n; i++) v[i] -= dot * q[i * n + k];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + j] = v[i] / norm;
  }
  return q;
}

/** R·diag(s)·Rᵀ and R·μ. */
function rotated(r: Float64Array, mean: number[], variances: number[]): Gaussian {
  const n = mean.length;
  const cov = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) cov[i * n + j] += r[i * n + k] * variances[k] * r[j * n + k];
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) m[i] += r[i * n + k] * mean[k];
  return { dim: n, mean: m, cov };
}

describe('Fréchet distance', () => {
  it('matches the closed form of Gaussians with covariances diagonal in a shared (rotated) basis', () => {
    // d² = |μ₁ − μ₂|² + Σ (√a_k − √b_k)² when both covariances share eigenvectors
    const n = 6;
    const r = rotation(n, 3);
    const [m1, m2] = [
      [1, 0, 2, -1, 0, 3],
      [0, 1, 2, 1, 0.5, 3],
    ];
    const [a, b] = [
      [1, 4, 0.25, 9, 2, 1],
      [4, 1, 1, 1, 8, 0.5],
    ];
    let want = 0;
    for (let k = 0; k < n; k++) want += (m1[k] - m2[k]) ** 2 + (Math.sqrt(a[k]) - Math.sqrt(b[k])) ** 2;
    const got = frechetDistance(rotated(r, m1, a), rotated(r, m2, b));
    expect(Math.abs(got - want)).toBeLessThan(1e-9 * want);
  });

  it('is zero between a Gaussian and itself, and the square root squares back', () => {
    const feats = normalValues(5, 200 * 8);
    const g = gaussianOf(feats, 8);
    expect(frechetDistance(g, g)).toBeLessThan(1e-9);
    const s = sqrtSymmetric(g.cov, 8);
    for (let i = 0; i < 8; i++)
      for (let j = 0; j < 8; j++) {
        let v = 0;
        for (let k = 0; k < 8; k++) v += s[i * 8 + k] * s[k * 8 + j];
        expect(Math.abs(v - g.cov[i * 8 + j])).toBeLessThan(1e-10);
      }
    const { values } = symmetricEigen(g.cov, 8);
    let trace = 0;
    for (let i = 0; i < 8; i++) trace += g.cov[i * 9];
    expect(Math.abs(values.reduce((x, y) => x + y, 0) - trace)).toBeLessThan(1e-10);
  });

  it('names a mismatch of dimensions and too few vectors', () => {
    expect(() => gaussianOf([1, 2, 3], 3)).toThrow(/not at least two vectors of 3/);
    expect(() => frechetDistance(gaussianOf(normalValues(1, 8), 2), gaussianOf(normalValues(1, 9), 3))).toThrow(/dimensions 2 and 3 differ/);
  });
});

describe('the digit classifier', () => {
  it('cross-entropy equals −mean log softmax at the label (float64 host computation)', async () => {
    const z = normalValues(7, 5 * 10).map((v) => 3 * v);
    const labels = [3, 0, 9, 9, 1];
    let want = 0;
    for (let b = 0; b < 5; b++) {
      const row = Array.from(z.subarray(b * 10, b * 10 + 10), Number);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      want += (lse - row[labels[b]]) / 5;
    }
    const got = (await crossEntropy(tensor(d, z, [5, 10]), labels).toArray())[0];
    expect(Math.abs(got - want)).toBeLessThan(1e-5);
  });

  it('learns a separable toy task (each class a bright square at its own place)', async () => {
    const n = 200;
    const images = new Float32Array(n * 1024).fill(-1);
    const labels = new Int32Array(n);
    const noise = normalValues(11, n * 1024);
    for (let i = 0; i < n; i++) {
      const c = (labels[i] = i % 10);
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) images[i * 1024 + (8 * Math.floor(c / 4) + y) * 32 + 8 * (c % 4) + x] = 1;
      for (let j = 0; j < 1024; j++) images[i * 1024 + j] += 0.3 * noise[i * 1024 + j];
    }
    const set: ImageSet = { images, labels, shape: [1, 32, 32], classes: 10 };
    const w = await trainClassifier(d, set, { steps: 60, batch: 20, lr: 3e-3, seed: 1 });
    const { classes, features } = await predict(d, w, images, 100);
    expect(accuracy(classes, labels)).toBeGreaterThan(0.9);
    expect(features.length).toBe(n * 64);
  }, 120_000);
});

describe('DistillTrainer', () => {
  it('computes L_fm, L_pred, L_attn and L as their definitions (float64 host computation of the same step)', async () => {
    const n = 6;
    const per = 8;
    const x0 = normalValues(21, n * per);
    const p = tensor(d, [0.7], [1]).requireGrad();
    // teacher v = 0.5·x, tap 0.25·x; student v = p·x, tap p²·x
    const teacher = (xt: Tensor, _s: readonly number[], _c: unknown, tap: (l: number, o: Tensor) => void) => {
      tap(0, mulScalar(xt, 0.25));
      return mulScalar(xt, 0.5);
    };
    const student = (xt: Tensor, _s: readonly number[], _c: unknown, tap: (l: number, o: Tensor) => void) => {
      tap(0, mul(mul(xt, p), p));
      return mul(xt, p);
    };
    const cfg = { ...DISTILL_DEFAULTS, batch: 3, attnLayers: [0], seed: 4 };
    const tr = new DistillTrainer(d, teacher, student, new Map([['p', p]]), { count: n, shape: [per], x0, cond: () => null }, cfg);
    const step = 2;
    const l = tr.losses(step);
    const got = await Promise.all([l.loss, l.fm, l.pred, l.attn].map(async (t) => (await t.toArray())[0]));
    const idx = new BatchOrder(cfg.seed, n, cfg.batch).indices(step);
    const sigma = Array.from(uniformValues(derivedSeed(cfg.seed, 1, step), 3), recipeSigma);
    const z = normalValues(derivedSeed(cfg.seed, 3, step), 3 * per);
    let [fm, pred, attn] = [0, 0, 0];
    idx.forEach((k, b) => {
      for (let j = 0; j < per; j++) {
        const x = x0[k * per + j];
        const e = z[b * per + j];
        const xt = (1 - sigma[b]) * x + sigma[b] * e;
        fm += (0.7 * xt - (e - x)) ** 2 / (3 * per);
        pred += (0.7 * xt - 0.5 * xt) ** 2 / (3 * per);
        attn += (0.49 * xt - 0.25 * xt) ** 2 / (3 * per);
      }
    });
    const want = [fm + 0.5 * pred + 0.5 * attn, fm, pred, attn];
    got.forEach((g, i) => expect(Math.abs(g - want[i]), `loss ${i}: ${g} vs ${want[i]}`).toBeLessThan(1e-5 * Math.max(1, want[i])));
    expect(sigma.every((s) => s > 0 && s <= 1 && Math.round(s * 1000) === s * 1000)).toBe(true);
    tapeOf(d).clear();
    tr.dispose();
  });
});
