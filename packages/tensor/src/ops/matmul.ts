// Batched matrix multiply: C = alpha · op(A) · op(B) + bias, with op = identity or transpose,
// numpy broadcasting over the leading (batch) axes, and a fused bias over the last axis of C.
// Tiled kernel: a workgroup computes a TM×TN tile of C, staging TK-deep slices of A and B in
// workgroup memory; each invocation accumulates an RM×RN block in registers, its columns strided
// by the workgroup width so that neighbouring invocations read neighbouring addresses.
// The tile shape is per adapter (see tilesFor); the arithmetic is the same. Reference: matmul.ref.ts.
// B (a weight) may be packed f16/bf16: both kernels widen it on load, exactly, and compute in f32; so
// 16-bit weights take half the memory on every adapter. A, bias and C are f32.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { broadcastShapes, fmtShape, numel, stridesOf } from '../shape.js';
import { memo, packedLoader, requireDtype, sameDevice } from './wgsl.js';
import { isPacked16, type Packed16 } from '../dtype.js';
import { defineKernel, type Kernel } from './kernel.js';
import type { Device } from '../device/device.js';
import { cpuMatmulKernel, cpuMatmulSplits, cpuMatmulVariant, MATMUL_PARAMS } from './matmul-cpu.js';
import { sum } from './rows.js';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  /** Added to every row of C; shape [N]. */
  bias?: Tensor;
  /** Scales the product (not the bias). */
  alpha?: number;
}

export interface MatmulTiles {
  TM: number;
  TN: number;
  TK: number;
  RM: number;
  RN: number;
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

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}, tiles?: MatmulTiles): Tensor {
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
    const summed = sum(parts, 1);
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

/** The workgroup-tiled kernel for GPUs (see the header); sizes and scale come from MATMUL_PARAMS. */
function tiledMatmulKernel(t: MatmulTiles, ta: boolean, tb: boolean, b16: Packed16 | undefined, bias: boolean, aBase: string, bBase: string): Kernel {
  const { TM, TN, TK, RM, RN } = t;
  const WX = TN / RN;
  const WY = TM / RM;
  const threads = WX * WY;
  const loadA = ta ? 'A[aBase + k * M + m]' : 'A[aBase + m * K + k]';
  const iB = tb ? 'bBase + n * K + k' : 'bBase + k * N + n';
  const loadB = b16 ? `ldB(${iB})` : `B[${iB}]`;
  // Fully unrolled register block: llvmpipe keeps private arrays in memory unless every index is a
  // constant, and the unrolled form costs nothing on hardware compilers.
  const ii = Array.from({ length: RM }, (_, i) => i);
  const jj = Array.from({ length: RN }, (_, j) => j);
  const accDecl = ii.map((i) => `  var c${i}_${jj.join(`: f32 = 0.0;\n  var c${i}_`)}: f32 = 0.0;`).join('\n');
  const inner = [
    ...ii.map((i) => `      let a${i} = As[kk * ${TM}u + lid.y * ${RM}u + ${i}u];`),
    ...jj.map((j) => `      let b${j} = Bs[kk * ${TN}u + lid.x + ${j * WX}u];`),
    ...ii.flatMap((i) => jj.map((j) => `      c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`)),
  ].join('\n');
  const tail = ` * P.alpha${bias ? ' + Bias[n]' : ''}`;
  const store = ii
    .map((i) => {
      const cols = jj.map((j) => `    { let n = col0 + lid.x + ${j * WX}u; if (n < N) { C[cBase + m * N + n] = c${i}_${j}${tail}; } }`).join('\n');
      return `  { let m = row0 + lid.y * ${RM}u + ${i}u;\n  if (m < M) {\n${cols}\n  } }`;
    })
    .join('\n');
  return defineKernel({
    name: `matmul_${TM}x${TN}x${TK}_${RM}x${RN}${b16 ? `_${b16}` : ''}`,
    inputs: { A: 'f32', B: b16 ? 'u32' : 'f32', ...(bias && { Bias: 'f32' }) },
    outputs: { C: 'f32' },
    params: MATMUL_PARAMS,
    prelude: `${b16 ? packedLoader('ldB', 'B', b16, false) : ''}
var<workgroup> As: array<f32, ${TK * TM}>;
var<workgroup> Bs: array<f32, ${TK * TN}>;`,
    workgroupSize: [WX, WY],
    each: 'grid',
    body: `  let z = wid.z;
  let M = P.M;
  let N = P.N;
  let K = P.K;
  let aBase = ${aBase};
  let bBase = ${bBase};
  let row0 = wid.y * ${TM}u;
  let col0 = wid.x * ${TN}u;
  let tid = lid.y * ${WX}u + lid.x;
${accDecl}
  for (var k0 = 0u; k0 < K; k0 = k0 + ${TK}u) {
    for (var e = tid; e < ${TK * TM}u; e = e + ${threads}u) {
      let kk = e ${ta ? `/ ${TM}u` : `% ${TK}u`};
      let mm = e ${ta ? `% ${TM}u` : `/ ${TK}u`};
      let m = row0 + mm;
      let k = k0 + kk;
      As[kk * ${TM}u + mm] = select(0.0, ${loadA}, m < M && k < K);
    }
    for (var e = tid; e < ${TK * TN}u; e = e + ${threads}u) {
      let kk = e ${tb ? `% ${TK}u` : `/ ${TN}u`};
      let nn = e ${tb ? `/ ${TK}u` : `% ${TN}u`};
      let n = col0 + nn;
      let k = k0 + kk;
      Bs[kk * ${TN}u + nn] = select(0.0, ${loadB}, n < N && k < K);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk = kk + 1u) {
${inner}
    }
    workgroupBarrier();
  }
  let cBase = z * M * N;
${store}`,
  });
}

/** PyTorch's Linear: x [..., in] · weightᵀ (weight [out, in], f32 or packed f16/bf16) + bias [out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (weight.rank !== 2) throw new ShapeError('linear', `weight must be [out, in], got ${fmtShape(weight.shape)}`);
  const inF = weight.shape[1];
  if (x.shape[x.rank - 1] !== inF)
    throw new ShapeError('linear', `input ${fmtShape(x.shape)} has ${x.shape[x.rank - 1]} features, weight ${fmtShape(weight.shape)} expects ${inF}`);
  const rows = x.numel / inF;
  const flat = x.reshape([rows, inF]);
  const y = matmul(flat, weight, { transposeB: true, bias });
  flat.dispose();
  const shaped = y.reshape([...x.shape.slice(0, -1), weight.shape[0]]);
  y.dispose();
  return shaped;
}
