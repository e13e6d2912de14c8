// The matmul kernel for software adapters (llvmpipe, SwiftShader). Same contract as matmul.ts;
// chosen by matmul() when device.kernels is 'software'.
//
// Cost model (Mesa 22.3 llvmpipe, gallivm lp_bld_nir_soa.c; checked against measurements):
// - One invocation per SIMD lane (8 lanes of f32 in a 256-bit vector); a workgroup runs on one
//   thread, its invocations in chunks of 8 lanes; workgroups are spread over LP_NUM_THREADS threads.
// - ALU work is cheap: an fma is one vector instruction for 8 lanes, and register spills are plain
//   vector loads/stores to the stack.
// - Every storage/workgroup memory load is expensive. The "uniform address" fast path (one scalar
//   load, broadcast) is taken only when NIR's nir_src_is_always_uniform() holds for the offset — a
//   constant or a push-constant/uniform-derived expression — AND no exec mask is active (outside all
//   loops and ifs). An offset built from workgroup_id or a loop counter never qualifies, so in a
//   matmul every load is the slow path: a real LLVM loop over the 8 lanes that per lane tests the exec
//   mask, re-reads the buffer base/size, bounds-checks, loads a scalar and inserts it into a vector.
//   The per-lane overhead is shared by the components of one load, so a vec4 load costs far less
//   than four scalar loads. Workgroup memory goes through the same per-lane loop: it only adds loads.
// So the design minimises per-lane load instructions per fma:
// - Each invocation owns an RM×RN block of C (16×16, or 32×16 from M ≥ 1024) held in scalar
//   accumulators, and steps k by 4. Per step it issues RM + RN vec4 loads and 4·RM·RN fmas (1024 fmas
//   per 32 loads at 16×16). Accumulators spill to the stack, which costs far less than the loads
//   they save: measured at 1024³ (A·B/A·Bᵀ), 8×8 → 16/20 GFLOP/s, 16×16 → 25/28, 24×16 → 28/30,
//   24×24 slower, all with k-major fma order. The fmas are emitted accumulator-major instead (the
//   four k-fmas of c_ij adjacent), so a spilled accumulator is reloaded and stored once per k-step
//   rather than four times: 24×16 → 30/31, 32×16 → 32–33/32–33 (k-major 32×16 was 25/23).
//   Both operands are read as vec4: along k when the operand is k-contiguous (A, or B with
//   transposeB — Linear weights), or along m/n when it is not (B [K,N], or A with transposeA), in
//   which case one k row gives RN/4 vec4 and four k rows give the same RN scalars per k-step. So both
//   layouts run the same number of loads. An operand whose contiguous extent is not a multiple of 4
//   falls back to scalar loads (correct, slower); a K that is not a multiple of 4 gets a scalar tail.
// - A packed 16-bit B (f16/bf16 weights) keeps every index and load count: where f32 loads a vec4 it
//   loads a vec2<u32> (4 halves) and widens in registers (ALU work: cheap), scalars read word i >> 1.
// - Out-of-range rows/columns (odd sizes) load a clamped, valid address and are not stored.
// - Workgroups are 64 invocations, 8 along x (column blocks: the 8 lanes of one SIMD chunk share
//   A's rows, so their A loads hit the same cache lines) × 8 (or 4) along y (row blocks), so a
//   workgroup's A/B working set stays in cache; WX < 8 measured 3× slower. Small M or N shrink the
//   block so few lanes compute discarded outputs.

import type { Packed16 } from '../dtype.js';
import { packedLoader } from './wgsl.js';
import { defineKernel, type Kernel } from './kernel.js';

/**
 * What makes a kernel variant. M, N and K choose the block shape and the vector loads, but reach the
 * kernel as parameters (P.M, P.N, P.K, P.alpha and the batch strides), so every problem of the same
 * variant shares one pipeline.
 */
export interface CpuMatmulGeometry {
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
  /** WGSL for the operands' batch offsets (matmul.ts `batchOffset`). */
  aBase: string;
  bBase: string;
  bias: boolean;
  /** B is packed 16-bit (absent: f32). */
  b16?: Packed16;
}

interface Shape {
  RM: number;
  RN: number;
  WX: number;
  WY: number;
}

/**
 * Register block RM×RN per invocation and workgroup WX×WY (measured on llvmpipe, 2 threads; see the
 * header). Bigger blocks mean fewer loads per fma; 16×16 is the best that divides power-of-two
 * sizes, and from M ≥ 1024 a 32×16 block (workgroup 8×4, 128×128 outputs) is faster still
 * (~+10–20% over 16×16; 32×32 and 48×16 no better; at 512³ 32×16 is slower than 16×16).
 * Small M or N shrink the block so few lanes compute discarded outputs.
 */
function shapeFor(M: number, N: number): Shape {
  if (M >= 1024 && N >= 128) return { RM: 32, RN: 16, WX: 8, WY: 4 };
  const RM = M >= 16 ? 16 : M >= 8 ? 8 : M >= 4 ? 4 : M;
  const RN = N >= 16 ? 16 : N >= 8 ? 8 : 4;
  // no more lanes along a dimension than it has blocks (idle lanes still run the whole loop)
  const WX = Math.min(8, 2 ** Math.ceil(Math.log2(Math.ceil(N / RN))));
  const WY = Math.min(64 / WX, 2 ** Math.ceil(Math.log2(Math.ceil(M / RM))));
  return { RM, RN, WX, WY };
}

/**
 * Split-K: a problem whose output gives too few invocations to fill the cores (a weight gradient
 * xᵀ·g, [in, out] summed over 8,192 tokens) is cut along K into `splits` parts computed side by side
 * into a [splits, M, N] scratch, then summed. Only without bias, and for K a multiple of 4.
 */
export function cpuMatmulSplits(M: number, N: number, K: number, bias: boolean): number {
  if (bias || K % 4 || K < 1024) return 1;
  const { RM, RN } = shapeFor(M, N);
  const invocations = Math.ceil(M / RM) * Math.ceil(N / RN);
  if (invocations >= 512) return 1;
  return Math.max(1, Math.min(Math.floor(K / 256), Math.ceil(512 / invocations)));
}

/** The variant a problem runs: what the kernel text depends on. */
export function cpuMatmulVariant(g: CpuMatmulGeometry): string {
  const { RM, RN, WX, WY } = shapeFor(g.M, g.N);
  const vecA = !g.transposeA ? g.K % 4 === 0 : g.M % 4 === 0 && RM % 4 === 0;
  const vecB = g.transposeB ? g.K % 4 === 0 : g.N % 4 === 0 && RN % 4 === 0;
  return JSON.stringify([
    g.transposeA,
    g.transposeB,
    g.b16 ?? '',
    g.bias,
    g.aBase,
    g.bBase,
    RM,
    RN,
    WX,
    WY,
    vecA,
    vecB,
    g.K % 4 !== 0,
    g.N % 4 === 0 && RN % 4 === 0,
  ]);
}

export function cpuMatmulKernel(g: CpuMatmulGeometry): { kernel: Kernel; workgroups: (M: number, N: number, z: number) => [number, number, number] } {
  const { M, N, K, transposeA: ta, transposeB: tb } = g;
  const { RM, RN, WX, WY } = shapeFor(M, N);
  const hasTail = K % 4 !== 0;
  // An operand: R rows (m for A, n for B) out of `rows`, stored k-contiguous ([rows, K]) or not ([K, rows]).
  // `rows` is the WGSL name of the operand's row count (M or N, read from the parameters).
  interface Op {
    name: 'A' | 'B';
    R: number;
    rows: 'M' | 'N';
    kc: boolean;
    vec: boolean;
    base: string;
    r0: string;
  }
  const ops: Op[] = [
    { name: 'A', R: RM, rows: 'M', kc: !ta, vec: !ta ? K % 4 === 0 : M % 4 === 0 && RM % 4 === 0, base: 'aBase', r0: 'row0' },
    { name: 'B', R: RN, rows: 'N', kc: tb, vec: tb ? K % 4 === 0 : N % 4 === 0 && RN % 4 === 0, base: 'bBase', r0: 'col0' },
  ];
  const ii = (n: number) => Array.from({ length: n }, (_, i) => i);
  // A load of operand o at index i (in vec4 units where o.vec): packed B goes through ldB, which widens.
  const packed = (o: Op) => o.name === 'B' && !!g.b16;
  const ld = (o: Op, i: string) => (packed(o) ? `ldB(${i})` : `${o.name}[${i}]`);
  const pre: string[] = [];
  // value expressions per operand: v[i][kk] for the main loop (k = kq*4) and t[i] for the tail (k)
  const main: string[] = [];
  const vals: Record<string, string[][]> = {};
  const tailLoads: string[] = [];
  const tailVals: Record<string, string[]> = {};
  for (const o of ops) {
    const p = o.name.toLowerCase();
    const v: string[][] = ii(o.R).map(() => []);
    const t: string[] = [];
    if (o.kc) {
      // element (row r, k) at base + r*K + k
      for (const i of ii(o.R)) pre.push(`  let ${p}o${i} = ${o.vec ? '(' : ''}${o.base} + min(${o.r0} + ${i}u, ${o.rows} - 1u) * K${o.vec ? ') / 4u' : ''};`);
      for (const i of ii(o.R)) {
        if (o.vec) {
          main.push(`    let ${p}${i} = ${ld(o, `${p}o${i} + kq`)};`);
          for (const kk of ii(4)) v[i].push(`${p}${i}.${'xyzw'[kk]}`);
        } else {
          for (const kk of ii(4)) {
            main.push(`    let ${p}${i}_${kk} = ${ld(o, `${p}o${i} + k + ${kk}u`)};`);
            v[i].push(`${p}${i}_${kk}`);
          }
        }
        tailLoads.push(`    let ${p}${i} = ${ld(o, `${p}o${i} + k`)};`);
        t.push(`${p}${i}`);
      }
    } else if (o.vec) {
      // element (row r, k) at base + k*rows + r; rows%4 == 0, R%4 == 0: groups of 4 rows are one vec4
      const G = o.R / 4;
      const rq = `${p}rq`;
      pre.push(`  let ${rq} = ${o.rows} / 4u;`);
      for (const gq of ii(G)) pre.push(`  let ${p}g${gq} = ${o.base} / 4u + min(${o.r0} / 4u + ${gq}u, ${rq} - 1u);`);
      for (const kk of ii(4)) for (const gq of ii(G)) main.push(`    let ${p}${kk}_${gq} = ${ld(o, `${p}g${gq} + (k + ${kk}u) * ${rq}`)};`);
      for (const i of ii(o.R)) for (const kk of ii(4)) v[i].push(`${p}${kk}_${Math.floor(i / 4)}.${'xyzw'[i % 4]}`);
      for (const gq of ii(G)) tailLoads.push(`    let ${p}${gq} = ${ld(o, `${p}g${gq} + k * ${rq}`)};`);
      for (const i of ii(o.R)) t.push(`${p}${Math.floor(i / 4)}.${'xyzw'[i % 4]}`);
    } else {
      for (const i of ii(o.R)) pre.push(`  let ${p}o${i} = ${o.base} + min(${o.r0} + ${i}u, ${o.rows} - 1u);`);
      for (const i of ii(o.R))
        for (const kk of ii(4)) {
          main.push(`    let ${p}${i}_${kk} = ${ld(o, `${p}o${i} + (k + ${kk}u) * ${o.rows}`)};`);
          v[i].push(`${p}${i}_${kk}`);
        }
      for (const i of ii(o.R)) {
        tailLoads.push(`    let ${p}${i} = ${ld(o, `${p}o${i} + k * ${o.rows}`)};`);
        t.push(`${p}${i}`);
      }
    }
    vals[o.name] = v;
    tailVals[o.name] = t;
  }
  const [A, B] = [vals.A, vals.B];
  const fmas: string[] = [];
  // Accumulator-major: the four k-fmas of one accumulator are adjacent (see the header).
  for (const i of ii(RM)) for (const j of ii(RN)) for (const kk of ii(4)) fmas.push(`    c${i}_${j} = fma(${A[i][kk]}, ${B[j][kk]}, c${i}_${j});`);
  const tailFmas = ii(RM).flatMap((i) => ii(RN).map((j) => `    c${i}_${j} = fma(${tailVals.A[i]}, ${tailVals.B[j]}, c${i}_${j});`));
  // Stores are per-lane loops too: with N a multiple of 4, each row of the block is RN/4 vec4 stores
  // (a block of 4 columns is wholly inside or outside, since col0 is a multiple of RN).
  const vecC = N % 4 === 0 && RN % 4 === 0;
  const store = vecC
    ? ii(RM)
        .map((i) => {
          const cols = ii(RN / 4).map((q) => {
            const v = `vec4<f32>(${ii(4)
              .map((e) => `c${i}_${4 * q + e}`)
              .join(', ')}) * P.alpha${g.bias ? ` + Bias[n / 4u]` : ''}`;
            return `      { let n = col0 + ${4 * q}u; if (n < N) { C[(o + n) / 4u] = ${v}; } }`;
          });
          return `  if (row0 + ${i}u < M) {\n    let o = cBase + (row0 + ${i}u) * N;\n${cols.join('\n')}\n  }`;
        })
        .join('\n')
    : ii(RM)
        .map((i) => {
          const cols = ii(RN)
            .map((j) => `      { let n = col0 + ${j}u; if (n < N) { C[o + n] = c${i}_${j} * P.alpha${g.bias ? ' + Bias[n]' : ''}; } }`)
            .join('\n');
          return `  if (row0 + ${i}u < M) {\n    let o = cBase + (row0 + ${i}u) * N;\n${cols}\n  }`;
        })
        .join('\n');
  const arr = (o: Op) => (packed(o) ? (o.vec ? 'vec2<u32>' : 'u32') : o.vec ? 'vec4<f32>' : 'f32');
  const body = `  // wid.z enumerates (batch z, K split s); split s runs k-steps [kq0, kq0 + P.kq)
  let z = wid.z / P.splits;
  let kq0 = (wid.z % P.splits) * P.kq;
  let M = P.M;
  let N = P.N;
  let K = P.K;
  let aBase = ${g.aBase};
  let bBase = ${g.bBase};
  let row0 = (wid.y * ${WY}u + lid.y) * ${RM}u;
  let col0 = (wid.x * ${WX}u + lid.x) * ${RN}u;
${pre.join('\n')}
${ii(RM)
  .map((i) => `  var c${i}_${ii(RN).join(`: f32 = 0.0;\n  var c${i}_`)}: f32 = 0.0;`)
  .join('\n')}
  let kq1 = min(kq0 + P.kq, K / 4u);
  for (var kq = kq0; kq < kq1; kq = kq + 1u) {
    let k = kq * 4u;
${main.join('\n')}
${fmas.join('\n')}
  }
${
  hasTail
    ? `  for (var k = K & ~3u; k < K; k = k + 1u) {
${tailLoads.join('\n')}
${tailFmas.join('\n')}
  }`
    : ''
}
  let cBase = wid.z * M * N;
${store}`;
  const kernel = defineKernel({
    name: `matmul_cpu${ta ? '_ta' : ''}${tb ? '_tb' : ''}${g.b16 ? `_${g.b16}` : ''}`,
    inputs: { A: arr(ops[0]), B: arr(ops[1]), ...(g.bias && { Bias: vecC ? 'vec4<f32>' : 'f32' }) },
    outputs: { C: vecC ? 'vec4<f32>' : 'f32' },
    params: MATMUL_PARAMS,
    prelude: g.b16 ? packedLoader('ldB', 'B', g.b16, ops[1].vec) : undefined,
    workgroupSize: [WX, WY],
    each: 'grid',
    body,
  });
  return { kernel, workgroups: (m, n, z) => [Math.ceil(n / (RN * WX)), Math.ceil(m / (RM * WY)), z] };
}

/**
 * The parameters both matmul kernels read: sizes, the scale, each operand's batch stride, and (this
 * kernel only) the K splits and the k-steps of 4 each one runs.
 */
export const MATMUL_PARAMS = { M: 'u32', N: 'u32', K: 'u32', alpha: 'f32', aStride: 'u32', bStride: 'u32', splits: 'u32', kq: 'u32' } as const;
