// matmul: C = alpha · op(A) · op(B) + bias, with op = identity or transpose, numpy broadcasting over
// the leading (batch) axes and a fused bias over the last axis of C — the kernel, its float64
// reference, the backward and its reference, and the public differentiable op.
// The kernel is per adapter: matmul-gpu.ts's workgroup tiles (shape from tilesFor) on GPUs,
// matmul-cpu.ts's register blocks on software adapters; the arithmetic is the same. B (a weight) may
// be packed f16/bf16: both widen it on load, exactly, and compute in f32, so 16-bit weights take half
// the memory on every adapter. A, bias and C are f32.
// The backward is matmuls with the transposes folded into the flags (the same per-adapter kernels)
// and the broadcasting reduce for broadcast batch axes and the bias:
//   dop(A) = α·G·op(B)ᵀ,  dop(B) = α·op(A)ᵀ·G,  dbias = Σ_rows G
// A packed 16-bit B (a frozen f16/bf16 weight) has no gradient, and stays the B operand of dA's matmul
// (only B may be packed): linear's dx = G·W reads W [out, in] untransposed, the [K,N] packed path.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { broadcastShapes, fmtShape, numel, stridesOf } from '../shape.js';
import { memo, requireDtype, sameDevice } from './wgsl.js';
import { isPacked16 } from '../dtype.js';
import type { Device } from '../device/device.js';
import { cpuMatmulKernel, cpuMatmulSplits, cpuMatmulVariant } from './matmul-cpu.js';
import { tiledMatmulKernel, type MatmulTiles } from './matmul-gpu.js';
import { sumKernel } from './reduce.js';
import { transposeKernel } from './permute.js';
import { reduceTo, sumToShape } from './elementwise.grad.js';
import { host, type HostTensor } from './host.js';
import { sumToShape as sumToShapeRef } from './elementwise.grad.ref.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

export type { MatmulTiles } from './matmul-gpu.js';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** Added to every row of C; shape [N]. */
  bias?: Tensor;
  /** Scales the product (not the bias). */
  alpha?: number;
}

/** Tile shapes measured best per adapter kind (benchmarks/matmul-tiles.ts); small problems get smaller tiles. */
function tilesFor(device: Device, m: number, n: number): MatmulTiles {
  const big = m * n >= 256 * 256;
  if (device.kernels === 'software') return big ? { TM: 64, TN: 64, TK: 16, RM: 8, RN: 8 } : { TM: 32, TN: 32, TK: 16, RM: 4, RN: 4 };
  return big ? { TM: 64, TN: 64, TK: 16, RM: 4, RN: 4 } : { TM: 32, TN: 32, TK: 16, RM: 2, RN: 2 };
}

/**
 * The batch offset of an operand whose batch shape broadcasts to `outBatch`: `z · P.<stride>` when it
 * has the whole batch (stride = its matrix size) or none (stride 0) — a parameter, so any batch size
 * shares the kernel — else index arithmetic over the broadcast axes, baked into the text.
 */
function batchOffset(batch: readonly number[], outBatch: readonly number[], matSize: number, stride: string): { expr: string; stride: number } {
  const nb = numel(batch);
  if (nb === 1 || nb === numel(outBatch)) return { expr: `z * P.${stride}`, stride: nb === 1 ? 0 : matSize };
  const off = outBatch.length - batch.length;
  const os = stridesOf(outBatch);
  const bs = stridesOf(batch);
  const terms: string[] = [];
  for (let d = 0; d < outBatch.length; d++) {
    const bd = batch[d - off];
    if (d < off || bd === 1) continue;
    terms.push(`((z / ${os[d]}u) % ${outBatch[d]}u) * ${bs[d - off] * matSize}u`);
  }
  return { expr: terms.join(' + '), stride: 0 };
}

/** C = alpha · op(A) · op(B) + bias on this adapter's kernel; `tiles` forces the tiled GPU kernel with that shape. */
export function matmulKernel(a: Tensor, b: Tensor, opts: MatmulOptions = {}, tiles?: MatmulTiles): Tensor {
  const op = 'matmul';
  const device = sameDevice(op, a, b, ...(opts.bias ? [opts.bias] : []));
  requireDtype(op, a, 'f32');
  requireDtype(op, b, 'f32', 'f16', 'bf16');
  const b16 = isPacked16(b.dtype) ? b.dtype : undefined;
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(op, `operands need at least 2 axes, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const [ta, tb] = [!!opts.transposeA, !!opts.transposeB];
  const M = a.shape[a.rank - (ta ? 1 : 2)];
  const K = a.shape[a.rank - (ta ? 2 : 1)];
  const Kb = b.shape[b.rank - (tb ? 1 : 2)];
  const N = b.shape[b.rank - (tb ? 2 : 1)];
  if (K !== Kb)
    throw new ShapeError(op, `inner dimensions differ: A ${fmtShape(a.shape)}${ta ? 'ᵀ' : ''} has K=${K}, B ${fmtShape(b.shape)}${tb ? 'ᵀ' : ''} has K=${Kb}`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes(op, aBatch, bBatch);
  if (opts.bias) {
    requireDtype(op, opts.bias, 'f32');
    if (opts.bias.numel !== N) throw new ShapeError(op, `bias must have ${N} elements (N), got ${fmtShape(opts.bias.shape)}`);
  }
  const outShape = [...batch, M, N];
  const Z = numel(batch);
  if (numel(outShape) === 0) return Tensor.empty(device, outShape);
  device.checkBinding(op, Math.max(a.byteSize, b.byteSize, numel(outShape) * 4));
  const inputs = [a.buffer, b.buffer];
  if (opts.bias) inputs.push(opts.bias.buffer);
  const aOff = batchOffset(aBatch, batch, M * K, 'aStride');
  const bOff = batchOffset(bBatch, batch, K * N, 'bStride');
  const params = { M, N, K, alpha: opts.alpha ?? 1, aStride: aOff.stride, bStride: bOff.stride, splits: 1, kq: Math.ceil(K / 4) };
  if (device.kernels === 'software' && !tiles) {
    const geometry = { M, N, K, transposeA: ta, transposeB: tb, bias: !!opts.bias, aBase: aOff.expr, bBase: bOff.expr, ...(b16 && { b16 }) };
    const plan = memo(`cpu-matmul:${cpuMatmulVariant(geometry)}`, () => cpuMatmulKernel(geometry));
    const splits = cpuMatmulSplits(M, N, K, !!opts.bias);
    if (splits === 1) {
      const out = Tensor.empty(device, outShape);
      plan.kernel.launch(device, { inputs, outputs: [out.buffer], params, workgroups: plan.workgroups(M, N, Z) });
      return out;
    }
    const kq = Math.ceil(K / 4 / splits);
    const parts = Tensor.empty(device, [Z, splits, M, N]);
    plan.kernel.launch(device, { inputs, outputs: [parts.buffer], params: { ...params, splits, kq }, workgroups: plan.workgroups(M, N, Z * splits) });
    const summed = sumKernel(parts, 1);
    parts.dispose();
    const shaped = summed.reshape(outShape);
    summed.dispose();
    return shaped;
  }
  const out = Tensor.empty(device, outShape);
  const t = tiles ?? tilesFor(device, M, N);
  const key = JSON.stringify([t, ta, tb, b16 ?? '', !!opts.bias, aOff.expr, bOff.expr]);
  const kernel = memo(`matmul:${key}`, () => tiledMatmulKernel(t, ta, tb, b16, !!opts.bias, aOff.expr, bOff.expr));
  kernel.launch(device, { inputs, outputs: [out.buffer], params, workgroups: [Math.ceil(N / t.TN), Math.ceil(M / t.TM), Z] });
  return out;
}

/** The float64 reference of matmulKernel. */
export function matmulRef(
  a: HostTensor,
  b: HostTensor,
  opts: { transposeA?: boolean; transposeB?: boolean; bias?: HostTensor; alpha?: number } = {},
): HostTensor {
  const ta = !!opts.transposeA;
  const tb = !!opts.transposeB;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = a.shape[ra - (ta ? 1 : 2)];
  const K = a.shape[ra - (ta ? 2 : 1)];
  const N = b.shape[rb - (tb ? 2 : 1)];
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', aBatch, bBatch);
  const out = host([...batch, M, N]);
  const os = stridesOf(batch);
  const offset = (sub: number[], z: number, mat: number) => {
    const off = batch.length - sub.length;
    const ss = stridesOf(sub);
    let o = 0;
    for (let d = off; d < batch.length; d++) if (sub[d - off] !== 1) o += (Math.floor(z / os[d]) % batch[d]) * ss[d - off];
    return o * mat;
  };
  const alpha = opts.alpha ?? 1;
  for (let z = 0; z < numel(batch); z++) {
    const ao = offset(aBatch, z, M * K);
    const bo = offset(bBatch, z, K * N);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += a.data[ao + (ta ? k * M + m : m * K + k)] * b.data[bo + (tb ? n * K + k : k * N + n)];
        out.data[(z * M + m) * N + n] = alpha * acc + (opts.bias?.data[n] ?? 0);
      }
  }
  return out;
}

// ---- backward ------------------------------------------------------------------------------------

export interface MatmulGrads {
  da?: Tensor;
  db?: Tensor;
  dbias?: Tensor;
}

export interface GradsWanted {
  a?: boolean;
  b?: boolean;
  bias?: boolean;
}

/** Gradients of matmul(a, b, opts) given the output's gradient g (shape [...batch, M, N]). */
export function matmulBackward(a: Tensor, b: Tensor, g: Tensor, opts: MatmulOptions, want: GradsWanted): MatmulGrads {
  const ta = !!opts.transposeA;
  const tb = !!opts.transposeB;
  const alpha = opts.alpha ?? 1;
  const out: MatmulGrads = {};
  if (want.a) {
    // A stored [M,K] (or [K,M] when ta)
    let full: Tensor;
    if (!ta) full = matmulKernel(g, b, { transposeB: !tb, alpha });
    else if (b.dtype === 'f32') full = matmulKernel(b, g, { transposeA: tb, transposeB: true, alpha });
    else {
      // op(B)·Gᵀ would put the packed B first: compute (G·op(B)ᵀ)ᵀ instead
      const t = matmulKernel(g, b, { transposeB: !tb, alpha });
      full = transposeKernel(t);
      t.dispose();
    }
    out.da = reduceTo(full, a.shape);
  }
  if (want.b) {
    const full = !tb ? matmulKernel(a, g, { transposeA: !ta, alpha }) : matmulKernel(g, a, { transposeA: true, transposeB: ta, alpha });
    out.db = reduceTo(full, b.shape);
  }
  if (want.bias && opts.bias) {
    const n = g.shape[g.rank - 1];
    const s = sumToShape(g, [n]);
    out.dbias = s.reshape(opts.bias.shape);
    s.dispose();
  }
  return out;
}

/** The float64 reference of matmulBackward, [dA, dB, dbias], by direct loops (independent of the composition the GPU backward uses). */
export function matmulGradRef(
  a: HostTensor,
  b: HostTensor,
  g: HostTensor,
  opts: { transposeA?: boolean; transposeB?: boolean; alpha?: number } = {},
): [HostTensor, HostTensor, HostTensor] {
  const ta = !!opts.transposeA;
  const tb = !!opts.transposeB;
  const alpha = opts.alpha ?? 1;
  const M = a.shape[a.shape.length - (ta ? 1 : 2)];
  const K = a.shape[a.shape.length - (ta ? 2 : 1)];
  const N = b.shape[b.shape.length - (tb ? 2 : 1)];
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', aBatch, bBatch);
  const Z = numel(batch);
  const os = stridesOf(batch);
  const offset = (sub: number[], z: number) => {
    const off = batch.length - sub.length;
    const ss = stridesOf(sub);
    let o = 0;
    for (let d = off; d < batch.length; d++) if (sub[d - off] !== 1) o += (Math.floor(z / os[d]) % batch[d]) * ss[d - off];
    return o;
  };
  // gradients at the broadcast batch shape, summed back afterwards
  const daFull = host([...batch, ...a.shape.slice(-2)]);
  const dbFull = host([...batch, ...b.shape.slice(-2)]);
  const dbias = host([N]);
  for (let z = 0; z < Z; z++) {
    const ao = offset(aBatch, z) * M * K;
    const bo = offset(bBatch, z) * K * N;
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        const gv = g.data[(z * M + m) * N + n];
        dbias.data[n] += gv;
        for (let k = 0; k < K; k++) {
          const ia = ta ? k * M + m : m * K + k;
          const ib = tb ? n * K + k : k * N + n;
          daFull.data[z * M * K + ia] += alpha * gv * b.data[bo + ib];
          dbFull.data[z * K * N + ib] += alpha * gv * a.data[ao + ia];
        }
      }
  }
  return [sumToShapeRef(daFull, a.shape), sumToShapeRef(dbFull, b.shape), dbias];
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}, tiles?: MatmulTiles): Tensor {
  if (!needsGrad(a, b, opts.bias)) return matmulKernel(a, b, opts, tiles);
  const out = rawOf(a.device, () => matmulKernel(a, b, opts, tiles));
  record('matmul', [a, b, opts.bias], [out], [a, b], ([g], [sa, sb], need) => {
    const r = matmulBackward(sa, sb, g!, opts, { a: need[0], b: need[1], bias: need[2] });
    return [r.da, r.db, r.dbias];
  });
  return out;
}
