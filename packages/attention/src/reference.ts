// The dense float64 references: masked attention forward and backward over [B, H, L, D] host
// tensors, with CLEAR's pooled keys built from the image keys. Slow (L² per head) and exact: this is
// what the fused kernels must compute. Backward uses the analytic gradients of sum(out · dout).
import { ref } from '@cleardit/tensor';
import { type ClearGeometry, counts } from './geometry.js';
import { isVisible } from './mask.js';

type Host = ref.HostTensor;

export interface RefOptions {
  scale?: number;
  /** d×d pooling weights (down factor d > 1); defaults to 1/d² everywhere. */
  spatialWeight?: Host;
}

function dims(q: Host) {
  const [B, H, L, D] = q.shape;
  return { B, H, L, D };
}

/** Visits every (pooled token p, cell offset a·d + b, image token index) of the geometry. */
function forEachCellToken(g: ClearGeometry, f: (p: number, ab: number, tok: number) => void): void {
  const { T, P, d } = counts(g);
  const cw = g.width / d;
  for (let p = 0; p < P; p++)
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) f(p, a * d + b, T + (Math.floor(p / cw) * d + a) * g.width + (p % cw) * d + b);
}

/** Pooled keys or values [B, H, P, D] from the image part of x [B, H, T+N, D]. */
export function poolRef(g: ClearGeometry, x: Host, weight: Host): Host {
  const { B, H, D } = dims(x);
  const { L, P } = counts(g);
  const out = ref.host([B, H, P, D]);
  for (let bh = 0; bh < B * H; bh++)
    forEachCellToken(g, (p, ab, tok) => {
      for (let c = 0; c < D; c++) out.data[(bh * P + p) * D + c] += weight.data[ab] * x.data[(bh * L + tok) * D + c];
    });
  return out;
}

function withPooled(g: ClearGeometry, x: Host, weight: Host): Host {
  const { P } = counts(g);
  if (!P) return x;
  return ref.concat([x, poolRef(g, x, weight)], 2);
}

export function defaultSpatialWeight(d: number): Host {
  return ref.host([d, d], new Array(d * d).fill(1 / (d * d)));
}

/** softmax(scale·q·kᵀ over visible keys)·v; also returns the log-sum-exp per row [B, H, L]. */
export function maskedAttentionRef(q: Host, k: Host, v: Host, visible: (i: number, j: number) => boolean, scale: number): { out: Host; lse: Host } {
  const { B, H, L, D } = dims(q);
  const Lk = k.shape[2];
  const out = ref.host([B, H, L, D]);
  const lse = ref.host([B, H, L]);
  const s = new Float64Array(Lk);
  for (let bh = 0; bh < B * H; bh++)
    for (let i = 0; i < L; i++) {
      let m = -Infinity;
      for (let j = 0; j < Lk; j++) {
        if (!visible(i, j)) {
          s[j] = -Infinity;
          continue;
        }
        let dot = 0;
        for (let c = 0; c < D; c++) dot += q.data[(bh * L + i) * D + c] * k.data[(bh * Lk + j) * D + c];
        s[j] = dot * scale;
        m = Math.max(m, s[j]);
      }
      let z = 0;
      for (let j = 0; j < Lk; j++) z += s[j] === -Infinity ? 0 : Math.exp(s[j] - m);
      lse.data[bh * L + i] = m + Math.log(z);
      for (let j = 0; j < Lk; j++) {
        if (s[j] === -Infinity) continue;
        const p = Math.exp(s[j] - m) / z;
        for (let c = 0; c < D; c++) out.data[(bh * L + i) * D + c] += p * v.data[(bh * Lk + j) * D + c];
      }
    }
  return { out, lse };
}

export function maskedAttentionBackwardRef(
  q: Host,
  k: Host,
  v: Host,
  dout: Host,
  visible: (i: number, j: number) => boolean,
  scale: number,
): { dq: Host; dk: Host; dv: Host } {
  const { B, H, L, D } = dims(q);
  const Lk = k.shape[2];
  const { out, lse } = maskedAttentionRef(q, k, v, visible, scale);
  const dq = ref.host(q.shape);
  const dk = ref.host(k.shape);
  const dv = ref.host(v.shape);
  for (let bh = 0; bh < B * H; bh++)
    for (let i = 0; i < L; i++) {
      const qi = (bh * L + i) * D;
      let delta = 0;
      for (let c = 0; c < D; c++) delta += dout.data[qi + c] * out.data[qi + c];
      for (let j = 0; j < Lk; j++) {
        if (!visible(i, j)) continue;
        const kj = (bh * Lk + j) * D;
        let dot = 0;
        let dp = 0;
        for (let c = 0; c < D; c++) {
          dot += q.data[qi + c] * k.data[kj + c];
          dp += dout.data[qi + c] * v.data[kj + c];
        }
        const p = Math.exp(dot * scale - lse.data[bh * L + i]);
        const ds = p * (dp - delta) * scale;
        for (let c = 0; c < D; c++) {
          dv.data[kj + c] += p * dout.data[qi + c];
          dq.data[qi + c] += ds * k.data[kj + c];
          dk.data[kj + c] += ds * q.data[qi + c];
        }
      }
    }
  return { dq, dk, dv };
}

/** CLEAR forward (pooled keys appended when d > 1). */
export function clearAttentionRef(g: ClearGeometry, q: Host, k: Host, v: Host, opts: RefOptions = {}): { out: Host; lse: Host } {
  const { d } = counts(g);
  const w = opts.spatialWeight ?? defaultSpatialWeight(d);
  const scale = opts.scale ?? 1 / Math.sqrt(q.shape[3]);
  return maskedAttentionRef(q, withPooled(g, k, w), withPooled(g, v, w), (i, j) => isVisible(g, i, j), scale);
}

/** CLEAR backward: gradients of sum(out · dout) for q, k, v and the pooling map. */
export function clearAttentionBackwardRef(
  g: ClearGeometry,
  q: Host,
  k: Host,
  v: Host,
  dout: Host,
  opts: RefOptions = {},
): { dq: Host; dk: Host; dv: Host; dSpatialWeight?: Host } {
  const { L, P, d } = counts(g);
  const w = opts.spatialWeight ?? defaultSpatialWeight(d);
  const scale = opts.scale ?? 1 / Math.sqrt(q.shape[3]);
  const kx = withPooled(g, k, w);
  const vx = withPooled(g, v, w);
  const { dq, dk: dkx, dv: dvx } = maskedAttentionBackwardRef(q, kx, vx, dout, (i, j) => isVisible(g, i, j), scale);
  if (!P) return { dq, dk: dkx, dv: dvx };
  // chain rule through the pooling: k̄ = Σ ω[a,b]·k(cell, a, b)
  const { B, H, D } = dims(q);
  const dk = ref.slice(dkx, 2, 0, L);
  const dv = ref.slice(dvx, 2, 0, L);
  const dw = ref.host([d, d]);
  const Lk = L + P;
  for (let bh = 0; bh < B * H; bh++)
    forEachCellToken(g, (p, ab, tok) => {
      for (let c = 0; c < D; c++) {
        const gk = dkx.data[(bh * Lk + L + p) * D + c];
        const gv = dvx.data[(bh * Lk + L + p) * D + c];
        dk.data[(bh * L + tok) * D + c] += w.data[ab] * gk;
        dv.data[(bh * L + tok) * D + c] += w.data[ab] * gv;
        dw.data[ab] += gk * k.data[(bh * L + tok) * D + c] + gv * v.data[(bh * L + tok) * D + c];
      }
    });
  return { dq, dk, dv, dSpatialWeight: dw };
}
