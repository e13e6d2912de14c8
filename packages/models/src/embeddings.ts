// Embeddings computed on the host in float64 and uploaded once: timestep embeddings (arguments reach
// thousands of radians, where float32 sin/cos on a GPU would lose ~1e-4), FLUX's RoPE matrices, and
// DiT's fixed 2-D sin-cos table. All are tiny next to the network.

/** [cos(u·f), sin(u·f)] with u = factor·t and f_i = exp(−ln(maxPeriod)·i/(half − shift)): FLUX (factor 1000) and DiT (factor 1). */
export function timestepEmbedding(t: readonly number[], dim = 256, opts: { factor?: number; maxPeriod?: number; freqShift?: number } = {}): Float32Array {
  const half = dim / 2;
  const factor = opts.factor ?? 1;
  const maxPeriod = opts.maxPeriod ?? 10000;
  const out = new Float32Array(t.length * dim);
  t.forEach((s, b) => {
    // BFL multiplies t by 1000 in float32 first; round as it does, then evaluate exactly
    const u = Math.fround(factor * Math.fround(s));
    for (let i = 0; i < half; i++) {
      const f = Math.exp((-Math.log(maxPeriod) * i) / (half - (opts.freqShift ?? 0)));
      out[b * dim + i] = Math.cos(u * f);
      out[b * dim + half + i] = Math.sin(u * f);
    }
  });
  return out;
}

/**
 * FLUX RoPE for token ids [L, 3] (one batch): pe[l, m] = [[cos φ, −sin φ], [sin φ, cos φ]] with the
 * axes' pairs concatenated in order and φ = pos_a · θ^(−2m/d_a). Returns [L, Σd_a/2, 2, 2] flattened.
 */
export function fluxRope(ids: Float32Array | number[], L: number, axesDim: readonly number[], theta: number): Float32Array {
  const pairs = axesDim.reduce((s, d) => s + d / 2, 0);
  const out = new Float32Array(L * pairs * 4);
  for (let l = 0; l < L; l++) {
    let m0 = 0;
    axesDim.forEach((d, a) => {
      const pos = ids[l * axesDim.length + a];
      for (let m = 0; m < d / 2; m++) {
        // BFL: omega = 1/theta^(arange(0, d, 2)/d) in float64, then pos·omega
        const phi = pos * (1 / theta ** ((2 * m) / d));
        const o = (l * pairs + m0 + m) * 4;
        out[o] = Math.cos(phi);
        out[o + 1] = -Math.sin(phi);
        out[o + 2] = Math.sin(phi);
        out[o + 3] = Math.cos(phi);
      }
      m0 += d / 2;
    });
  }
  return out;
}

/**
 * DiT's fixed table [H·W, D] for an H×W token grid (H = W = `grid` unless `width` is given): per token
 * (row r, column c) [E(c) ‖ E(r)], E(q) = [sin(q·ω), cos(q·ω)], ω_k = 10000^(−k/(D/4)).
 */
export function ditPosEmbed(grid: number, dim: number, width = grid): Float32Array {
  const quarter = dim / 4;
  const out = new Float32Array(grid * width * dim);
  for (let r = 0; r < grid; r++)
    for (let c = 0; c < width; c++) {
      const o = (r * width + c) * dim;
      for (let k = 0; k < quarter; k++) {
        const w = 1 / 10000 ** (k / quarter);
        out[o + k] = Math.sin(c * w);
        out[o + quarter + k] = Math.cos(c * w);
        out[o + 2 * quarter + k] = Math.sin(r * w);
        out[o + 3 * quarter + k] = Math.cos(r * w);
      }
    }
  return out;
}
