// The workgroup-tiled matmul kernel for GPUs (matmul.ts picks it, or matmul-cpu.ts's on software
// adapters): a workgroup computes a TM×TN tile of C, staging TK-deep slices of A and B in workgroup
// memory; each invocation accumulates an RM×RN block in registers, its columns strided by the
// workgroup width so that neighbouring invocations read neighbouring addresses. A packed f16/bf16 B is
// widened on load. Sizes and scale come from MATMUL_PARAMS.

import { packedLoader } from './wgsl.js';
import type { Packed16 } from '../dtype.js';
import { defineKernel, type Kernel } from './kernel.js';
import { MATMUL_PARAMS } from './matmul-cpu.js';

/** A tile shape: TM×TN of C per workgroup, TK deep, RM×RN per invocation. */
export interface MatmulTiles {
  TM: number;
  TN: number;
  TK: number;
  RM: number;
  RN: number;
}

/** The workgroup-tiled kernel for GPUs (see the header); sizes and scale come from MATMUL_PARAMS. */
export function tiledMatmulKernel(t: MatmulTiles, ta: boolean, tb: boolean, b16: Packed16 | undefined, bias: boolean, aBase: string, bBase: string): Kernel {
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
