// Feasibility spike: matmul on llvmpipe reading operands through rgba32float textures (textureLoad)
// instead of storage buffers. Args: adapter sizes(comma) reps [RMxRN]
import { createDevice } from '@cleardit/tensor/node';
import { tensor, matmul } from '@cleardit/tensor';
const d = await createDevice({ adapter: process.argv[2] ?? 'llvmpipe' });
const gpu = d.gpu;
const sizes = (process.argv[3] ?? '1024').split(',').map(Number);
const reps = Number(process.argv[4] ?? 3);
const blk = process.argv[5];
const ii = (n: number) => Array.from({ length: n }, (_, i) => i);

function texKernel(M: number, N: number, K: number, tb: boolean, RM: number, RN: number, WX: number, WY: number) {
  const pre: string[] = [], main: string[] = [];
  const A: string[][] = ii(RM).map(() => []), B: string[][] = ii(RN).map(() => []);
  for (const i of ii(RM)) pre.push(`  let ar${i} = i32(min(row0 + ${i}u, ${M - 1}u));`);
  for (const i of ii(RM)) { main.push(`    let a${i} = textureLoad(TA, vec2<i32>(kq, ar${i}), 0);`); for (const kk of ii(4)) A[i].push(`a${i}.${'xyzw'[kk]}`); }
  if (tb) {
    for (const j of ii(RN)) pre.push(`  let br${j} = i32(min(col0 + ${j}u, ${N - 1}u));`);
    for (const j of ii(RN)) { main.push(`    let b${j} = textureLoad(TB, vec2<i32>(kq, br${j}), 0);`); for (const kk of ii(4)) B[j].push(`b${j}.${'xyzw'[kk]}`); }
  } else {
    const G = RN / 4;
    for (const g of ii(G)) pre.push(`  let bg${g} = i32(min(col0 / 4u + ${g}u, ${N / 4 - 1}u));`);
    for (const kk of ii(4)) for (const g of ii(G)) main.push(`    let b${kk}_${g} = textureLoad(TB, vec2<i32>(bg${g}, k + ${kk}), 0);`);
    for (const j of ii(RN)) for (const kk of ii(4)) B[j].push(`b${kk}_${Math.floor(j / 4)}.${'xyzw'[j % 4]}`);
  }
  const fmas: string[] = [];
  if (process.env.ORDER === 'ijk') { for (const i of ii(RM)) for (const j of ii(RN)) for (const kk of ii(4)) fmas.push(`    c${i}_${j} = fma(${A[i][kk]}, ${B[j][kk]}, c${i}_${j});`); }
  else if (process.env.ORDER === 'ijk1') { for (const i of ii(RM)) for (const j of ii(RN)) fmas.push(`    c${i}_${j} = fma(${A[i][3]}, ${B[j][3]}, fma(${A[i][2]}, ${B[j][2]}, fma(${A[i][1]}, ${B[j][1]}, fma(${A[i][0]}, ${B[j][0]}, c${i}_${j}))));`); }
  else for (const kk of ii(4)) for (const i of ii(RM)) for (const j of ii(RN)) fmas.push(`    c${i}_${j} = fma(${A[i][kk]}, ${B[j][kk]}, c${i}_${j});`);
  const store = ii(RM).map((i) => `  if (row0 + ${i}u < ${M}u) {\n    let o = (row0 + ${i}u) * ${N}u;\n` + ii(RN).map((j) => `      { let n = col0 + ${j}u; if (n < ${N}u) { C[o + n] = c${i}_${j}; } }`).join('\n') + '\n  }').join('\n');
  return `
@group(0) @binding(0) var TA: texture_2d<f32>;
@group(0) @binding(1) var TB: texture_2d<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(${WX}, ${WY})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = (wid.y * ${WY}u + lid.y) * ${RM}u;
  let col0 = (wid.x * ${WX}u + lid.x) * ${RN}u;
${pre.join('\n')}
${ii(RM).map((i) => `  var c${i}_${ii(RN).join(`: f32 = 0.0;\n  var c${i}_`)}: f32 = 0.0;`).join('\n')}
  for (var kq = 0; kq < ${K / 4}; kq = kq + 1) {
    let k = kq * 4;
${main.join('\n')}
${fmas.join('\n')}
  }
${store}
}`;
}

function mkTex(buf: GPUBuffer, w: number, h: number, enc: GPUCommandEncoder) {
  const tex = gpu.createTexture({ size: [w, h], format: 'rgba32float', usage: 0x02 | 0x04 });
  enc.copyBufferToTexture({ buffer: buf, bytesPerRow: w * 16, rowsPerImage: h }, { texture: tex }, [w, h]);
  return tex;
}

let seed = 1;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
for (const n of sizes) for (const tb of [false, true]) {
  const M = n, N = n, K = n;
  const av = Float32Array.from({ length: M * K }, rnd), bv = Float32Array.from({ length: K * N }, rnd);
  const a = tensor(d, av, [M, K]), b = tensor(d, bv, tb ? [N, K] : [K, N]);
  const ref = matmul(a, b, { transposeB: tb });
  const refv = (await ref.toArray()) as Float32Array;
  const [RM, RN] = blk ? blk.split('x').map(Number) : M >= 1024 ? [24, 16] : [16, 16];
  const [WX, WY] = RM === 24 ? [8, 4] : [8, 8];
  const code = texKernel(M, N, K, tb, RM, RN, WX, WY);
  gpu.pushErrorScope('validation');
  const module = gpu.createShaderModule({ code });
  const pipe = gpu.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const out = gpu.createBuffer({ size: M * N * 4, usage: 0x80 | 0x04 });
  const wg: [number, number] = [Math.ceil(N / (RN * WX)), Math.ceil(M / (RM * WY))];
  const runTex = async (withCopy: boolean, texs?: [GPUTexture, GPUTexture]) => {
    const enc = gpu.createCommandEncoder();
    let tA: GPUTexture, tB: GPUTexture;
    if (withCopy || !texs) { tA = mkTex(a.buffer, K / 4, M, enc); tB = tb ? mkTex(b.buffer, K / 4, N, enc) : mkTex(b.buffer, N / 4, K, enc); }
    else [tA, tB] = texs;
    const bg = gpu.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: tA.createView() }, { binding: 1, resource: tB.createView() }, { binding: 2, resource: { buffer: out } }] });
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(wg[0], wg[1]); pass.end();
    gpu.queue.submit([enc.finish()]);
    await gpu.queue.onSubmittedWorkDone();
    return [tA, tB] as [GPUTexture, GPUTexture];
  };
  const texs = await runTex(true);
  const err = await gpu.popErrorScope();
  if (err) { console.log('ERR', err.message); process.exit(1); }
  const st = gpu.createBuffer({ size: M * N * 4, usage: 0x01 | 0x08 });
  const e2 = gpu.createCommandEncoder(); e2.copyBufferToBuffer(out, 0, st, 0, M * N * 4); gpu.queue.submit([e2.finish()]);
  await st.mapAsync(1);
  const got = new Float32Array(st.getMappedRange().slice(0)); st.unmap();
  let md = 0; for (let i = 0; i < got.length; i++) md = Math.max(md, Math.abs(got[i] - refv[i]));
  const best = { base: Infinity, tex: Infinity, texCopy: Infinity };
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now(); const c = matmul(a, b, { transposeB: tb }); await d.sync(); best.base = Math.min(best.base, performance.now() - t0); c.dispose();
    t0 = performance.now(); await runTex(false, texs); best.tex = Math.min(best.tex, performance.now() - t0);
    t0 = performance.now(); const tt = await runTex(true); best.texCopy = Math.min(best.texCopy, performance.now() - t0); tt[0].destroy(); tt[1].destroy();
  }
  const gf = (t: number) => (2 * n ** 3 / t / 1e6).toFixed(1);
  console.log(n, tb ? 'tb' : '  ', `${RM}x${RN}`, 'maxdiff', md.toExponential(2), 'base', gf(best.base), 'tex', gf(best.tex), 'tex+copy', gf(best.texCopy));
  a.dispose(); b.dispose(); ref.dispose(); out.destroy(); texs[0].destroy(); texs[1].destroy();
}
process.exit(0);
