// The Fréchet distance between two sets of feature vectors, each summarised as a Gaussian (mean μ,
// covariance Σ), as FID computes it:  d² = |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2·(Σ₁^½ Σ₂ Σ₁^½)^½).
// Host float64; the matrix square roots come from a cyclic Jacobi eigendecomposition of symmetric
// matrices (exact for the small feature sizes used here, 64). Negative eigenvalues from round-off are
// clamped to zero.

export interface Gaussian {
  dim: number;
  mean: Float64Array;
  /** Row-major [dim, dim], the unbiased sample covariance (n − 1). */
  cov: Float64Array;
}

/** Mean and covariance of n vectors of `dim` values (row-major). */
export function gaussianOf(features: ArrayLike<number>, dim: number): Gaussian {
  const n = features.length / dim;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`Fréchet distance: ${features.length} values are not at least two vectors of ${dim}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j] / n;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < dim; a++) {
      const da = features[i * dim + a] - mean[a];
      for (let b = a; b < dim; b++) cov[a * dim + b] += (da * (features[i * dim + b] - mean[b])) / (n - 1);
    }
  for (let a = 0; a < dim; a++) for (let b = 0; b < a; b++) cov[a * dim + b] = cov[b * dim + a];
  return { dim, mean, cov };
}

/** Eigenvalues and eigenvectors (columns of `vectors`) of a symmetric matrix, by cyclic Jacobi rotations. */
export function symmetricEigen(m: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(m);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        total += a[i * n + j] ** 2;
        if (i !== j) off += a[i * n + j] ** 2;
      }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i]), vectors: v };
}

/** The symmetric square root of a symmetric positive semi-definite matrix. */
export function sqrtSymmetric(m: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(m, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    if (s === 0) continue;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] += s * vectors[i * n + k] * vectors[j * n + k];
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * n + k] * b[k * n + j];
  return out;
}

/** d² between two Gaussians of the same dimension. */
export function frechetDistance(g1: Gaussian, g2: Gaussian): number {
  if (g1.dim !== g2.dim) throw new RangeError(`Fréchet distance: dimensions ${g1.dim} and ${g2.dim} differ`);
  const n = g1.dim;
  const r = sqrtSymmetric(g1.cov, n);
  const inner = matmul(matmul(r, g2.cov, n), r, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inner[i * n + j] = inner[j * n + i] = (inner[i * n + j] + inner[j * n + i]) / 2;
  const root = symmetricEigen(inner, n).values;
  let d = 0;
  for (let i = 0; i < n; i++) d += (g1.mean[i] - g2.mean[i]) ** 2 + g1.cov[i * n + i] + g2.cov[i * n + i];
  for (const ev of root) d -= 2 * Math.sqrt(Math.max(0, ev));
  return Math.max(0, d);
}
