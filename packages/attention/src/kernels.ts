// The fused attention kernels (WGSL generators): forward (flash style, online softmax), dq, and dk/dv.
// All three walk a plan's traversal: a workgroup owns 64 tokens (a dense range or one image tile) for
// one (batch, head); it visits the plan's segments of partner tokens in chunks staged in workgroup
// memory; each invocation handles its own token against every partner in the chunk, testing the disc
// only in partial tiles. The L×L score matrix never exists. Full attention is the same kernel with a
// dense plan. Reference: reference.ts.
//
//   forward  own = query i, partners = keys j:   m, l, acc  → out_i = acc/l, lse_i = m + log l
//   dq       own = query i, partners = keys j:   dq_i = scale Σ_j p_ij (dO_i·v_j − Δ_i) k_j
//   dkdv     own = key j, partners = queries i:  dv_j = Σ_i p_ij dO_i,  dk_j = scale Σ_i p_ij (dO_i·v_j − Δ_i) q_i
// with p_ij = exp(scale q_i·k_j − lse_i) and Δ_i = dO_i·out_i.

import { f32Lit } from '@cleardit/tensor';
import { GROUP, ITEM_TILE, SEG_DENSE, SEG_TILE_PARTIAL, type AttentionPlan } from './plan.js';

export type KernelRole = 'forward' | 'dq' | 'dkdv';

export interface KernelShape {
  role: KernelRole;
  plan: AttentionPlan;
  /** Head dim (multiple of 4). */
  D: number;
  /** Length of the own token axis in its buffers, and of the partners'. */
  ownLength: number;
  partnerLength: number;
  scale: number;
  /** Partners per chunk staged in workgroup memory. */
  chunk: number;
  /** Offset (u32 words) of the segment table inside the plan buffer. */
  segmentOffset: number;
  /** Own tokens per invocation (1, 2 or 4): more amortises partner reads on software adapters. */
  tokensPerInvocation?: number;
}

/** Partners per chunk: as many as fit two D-vectors each in workgroup memory, a power of two ≤ 64. */
export function chunkFor(D: number, workgroupBytes: number): number {
  let c = GROUP;
  while (c > 1 && c * (2 * D * 4 + 16) + 1024 > workgroupBytes) c /= 2;
  return c;
}

export function attentionKernel(k: KernelShape): string {
  const { role, plan, D, chunk: C, scale } = k;
  const D4 = D / 4;
  // Q tokens per invocation, NT invocations per workgroup (Q·NT = 64). Each partner vector read from
  // workgroup memory serves Q tokens: on llvmpipe every such read is a per-lane loop, so Q > 1 pays.
  const Q = k.tokensPerInvocation ?? 1;
  const NT = GROUP / Q;
  const T = plan.textLength;
  const w = plan.width;
  const h = plan.height;
  const r2 = plan.radius * plan.radius;
  const qs = Array.from({ length: Q }, (_, i) => i);
  const per = (f: (i: number) => string, sep = '\n') => qs.map(f).join(sep);
  const twoOwn = role !== 'forward';
  // Bindings: the own-side vectors, the partner-side vectors, the plan, then outputs.
  let bindings: string;
  if (role === 'forward')
    bindings = `
@group(0) @binding(0) var<storage, read> Own1: array<vec4<f32>>;   // q
@group(0) @binding(1) var<storage, read> Par1: array<vec4<f32>>;   // k
@group(0) @binding(2) var<storage, read> Par2: array<vec4<f32>>;   // v
@group(0) @binding(3) var<storage, read> Plan: array<u32>;
@group(0) @binding(4) var<storage, read_write> Out1: array<vec4<f32>>; // out
@group(0) @binding(5) var<storage, read_write> Stats: array<vec2<f32>>; // (lse, Δ) per query`;
  else if (role === 'dq')
    bindings = `
@group(0) @binding(0) var<storage, read> Own1: array<vec4<f32>>;   // q
@group(0) @binding(1) var<storage, read> Own2: array<vec4<f32>>;   // dO
@group(0) @binding(2) var<storage, read> Stats: array<vec2<f32>>;  // (lse, Δ) per query
@group(0) @binding(3) var<storage, read> Par1: array<vec4<f32>>;   // k
@group(0) @binding(4) var<storage, read> Par2: array<vec4<f32>>;   // v
@group(0) @binding(5) var<storage, read> Plan: array<u32>;
@group(0) @binding(6) var<storage, read_write> Out1: array<vec4<f32>>; // dq`;
  else
    bindings = `
@group(0) @binding(0) var<storage, read> Own1: array<vec4<f32>>;   // k
@group(0) @binding(1) var<storage, read> Own2: array<vec4<f32>>;   // v
@group(0) @binding(2) var<storage, read> Par1: array<vec4<f32>>;   // q
@group(0) @binding(3) var<storage, read> Par2: array<vec4<f32>>;   // dO
@group(0) @binding(4) var<storage, read> Stats: array<vec2<f32>>;  // (lse, Δ) per query
@group(0) @binding(5) var<storage, read> Plan: array<u32>;
@group(0) @binding(6) var<storage, read_write> Out1: array<vec4<f32>>; // dk
@group(0) @binding(7) var<storage, read_write> Out2: array<vec4<f32>>; // dv`;

  // Per partner j: pass 1 over the head dim gives each own token's score (and dO·v), then the
  // scalar updates, then pass 2 updates the accumulators. Each partner vector read serves Q tokens.
  const active = (i: number) => `valid_${i} && (!partial || in_disc(me_${i}, j))`;
  const pass1 = {
    forward: per((i) => `          s_${i} = s_${i} + dot(own1_${i}[d], pa);`),
    dq: per((i) => `          s_${i} = s_${i} + dot(own1_${i}[d], pa);\n          t_${i} = t_${i} + dot(own2_${i}[d], pb);`),
    dkdv: per((i) => `          s_${i} = s_${i} + dot(pa, own1_${i}[d]);\n          t_${i} = t_${i} + dot(pb, own2_${i}[d]);`),
  }[role];
  const scalars = {
    forward: per(
      (i) => `        var c_${i}: f32 = 1.0;
        var p_${i}: f32 = 0.0;
        if (${active(i)}) {
          let sv = s_${i} * SCALE;
          let mn = max(m_${i}, sv);
          c_${i} = exp(m_${i} - mn);
          p_${i} = exp(sv - mn);
          l_${i} = l_${i} * c_${i} + p_${i};
          m_${i} = mn;
        }`,
    ),
    dq: per(
      (i) => `        var g_${i}: f32 = 0.0;
        if (${active(i)}) { g_${i} = exp(s_${i} * SCALE - stats_${i}.x) * (t_${i} - stats_${i}.y); }`,
    ),
    dkdv: per(
      (i) => `        var p_${i}: f32 = 0.0;
        var g_${i}: f32 = 0.0;
        if (${active(i)}) {
          p_${i} = exp(s_${i} * SCALE - st.x);
          g_${i} = p_${i} * (t_${i} - st.y);
        }`,
    ),
  }[role];
  const pass2 = {
    forward: per((i) => `          acc1_${i}[d] = acc1_${i}[d] * c_${i} + p_${i} * pb;`),
    dq: per((i) => `          acc1_${i}[d] = acc1_${i}[d] + g_${i} * pa;`),
    dkdv: per((i) => `          acc2_${i}[d] = acc2_${i}[d] + p_${i} * pb;\n          acc1_${i}[d] = acc1_${i}[d] + g_${i} * pa;`),
  }[role];
  const body = `        ${per((i) => `var s_${i}: f32 = 0.0;${twoOwn ? ` var t_${i}: f32 = 0.0;` : ''}`, '\n        ')}
        for (var d = 0u; d < D4; d = d + 1u) {
          let pa = P1[j * D4 + d];
          let pb = P2[j * D4 + d];
${pass1}
        }
${scalars}
        for (var d = 0u; d < D4; d = d + 1u) {
          let pa = P1[j * D4 + d];
          let pb = P2[j * D4 + d];
${pass2}
        }`;

  const setup = per(
    (i) => `  let me_${i} = token(kind, ia, ib, lid + ${i * NT}u);
  let valid_${i} = me_${i}.ok;
  let base_${i} = (bh * OWN_LEN + min(me_${i}.index, OWN_LEN - 1u)) * D4;
  var own1_${i}: array<vec4<f32>, ${D4}>;
  var acc1_${i}: array<vec4<f32>, ${D4}>;${twoOwn ? `\n  var own2_${i}: array<vec4<f32>, ${D4}>;` : ''}${role === 'dkdv' ? `\n  var acc2_${i}: array<vec4<f32>, ${D4}>;` : ''}
  for (var d = 0u; d < D4; d = d + 1u) {
    own1_${i}[d] = select(vec4<f32>(0.0), Own1[base_${i} + d], valid_${i});${twoOwn ? `\n    own2_${i}[d] = select(vec4<f32>(0.0), Own2[base_${i} + d], valid_${i});` : ''}
  }
  var m_${i}: f32 = -3.0e38;
  var l_${i}: f32 = 0.0;
  let stats_${i} = ${role === 'dq' ? `Stats[bh * OWN_LEN + min(me_${i}.index, OWN_LEN - 1u)]` : 'vec2<f32>(0.0)'};`,
  );
  const store = per(
    (i) =>
      ({
        forward: `  if (valid_${i}) {
    let inv = select(0.0, 1.0 / l_${i}, l_${i} > 0.0);
    for (var d = 0u; d < D4; d = d + 1u) { Out1[base_${i} + d] = acc1_${i}[d] * inv; }
    Stats[bh * OWN_LEN + me_${i}.index] = vec2<f32>(select(-3.0e38, m_${i} + log(l_${i}), l_${i} > 0.0), 0.0);
  }`,
        dq: `  if (valid_${i}) {
    for (var d = 0u; d < D4; d = d + 1u) { Out1[base_${i} + d] = acc1_${i}[d] * SCALE; }
  }`,
        dkdv: `  if (valid_${i}) {
    for (var d = 0u; d < D4; d = d + 1u) { Out1[base_${i} + d] = acc1_${i}[d] * SCALE; Out2[base_${i} + d] = acc2_${i}[d]; }
  }`,
      })[role],
  );

  return /* wgsl */ `${bindings}
const D4: u32 = ${D4}u;
const C: u32 = ${C}u;
const SCALE: f32 = ${f32Lit(scale)};
const T: u32 = ${T}u;
const W: u32 = ${Math.max(1, w)}u;
const H: u32 = ${Math.max(1, h)}u;
const TH: u32 = ${plan.tileH}u;
const TW: u32 = ${plan.tileW}u;
const TX: u32 = ${Math.max(1, plan.tilesX)}u;
const R2: f32 = ${f32Lit(Math.min(r2, 3e38))};
const OWN_LEN: u32 = ${k.ownLength}u;
const PAR_LEN: u32 = ${k.partnerLength}u;
const SEG0: u32 = ${k.segmentOffset}u;

var<workgroup> P1: array<vec4<f32>, ${C * D4}>;
var<workgroup> P2: array<vec4<f32>, ${C * D4}>;
var<workgroup> PS: array<vec2<f32>, ${C}>;
var<workgroup> PY: array<i32, ${C}>;
var<workgroup> PX: array<i32, ${C}>;
var<workgroup> POK: array<u32, ${C}>;

struct Tok { index: u32, ok: bool, y: i32, x: i32 }

// The u-th token of a dense range [a, b) or of image tile a.
fn token(kind: u32, a: u32, b: u32, u: u32) -> Tok {
  if (kind == ${ITEM_TILE}u) {
    let y = (a / TX) * TH + u / TW;
    let x = (a % TX) * TW + u % TW;
    return Tok(T + y * W + x, y < H && x < W, i32(y), i32(x));
  }
  return Tok(a + u, a + u < b, -1, -1);
}

// The strict disc rule between an own image token and staged partner j.
fn in_disc(me: Tok, j: u32) -> bool {
  let dy = f32(me.y - PY[j]);
  let dx = f32(me.x - PX[j]);
  return dy * dy + dx * dx < R2;
}

@compute @workgroup_size(${NT})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let lid = lidv.x;
  let bh = wid.y;
  let it = wid.x * 5u;
  let kind = Plan[it];
  let ia = Plan[it + 1u];
  let ib = Plan[it + 2u];
  let s0 = Plan[it + 3u];
  let sc = Plan[it + 4u];
${setup}
  for (var s = s0; s < s0 + sc; s = s + 1u) {
    let sk = Plan[SEG0 + s * 3u];
    let sa = Plan[SEG0 + s * 3u + 1u];
    let sb = Plan[SEG0 + s * 3u + 2u];
    let dense = sk == ${SEG_DENSE}u;
    let partial = sk == ${SEG_TILE_PARTIAL}u;
    let start = select(0u, sa, dense);
    let stop = select(${GROUP}u, sb, dense);
    let pkind = select(${ITEM_TILE}u, 0u, dense);
    for (var c0 = start; c0 < stop; c0 = c0 + C) {
      // stage C partners: their vectors, position, validity${role === 'dkdv' ? ', (lse, Δ)' : ''}
      for (var e = lid; e < C * D4; e = e + ${NT}u) {
        let j = e / D4;
        let t = token(pkind, sa, sb, c0 - start + j);
        let base = (bh * PAR_LEN + min(t.index, PAR_LEN - 1u)) * D4 + e % D4;
        P1[e] = Par1[base];
        P2[e] = Par2[base];
      }
      for (var jj = lid; jj < C; jj = jj + ${NT}u) {
        let t = token(pkind, sa, sb, c0 - start + jj);
        POK[jj] = select(0u, 1u, t.ok && c0 + jj < stop);
        PY[jj] = t.y;
        PX[jj] = t.x;
        ${role === 'dkdv' ? 'PS[jj] = Stats[bh * PAR_LEN + min(t.index, PAR_LEN - 1u)];' : ''}
      }
      workgroupBarrier();
      for (var j = 0u; j < C; j = j + 1u) {
        if (POK[j] == 0u) { continue; }
        let st = ${role === 'dkdv' ? 'PS[j]' : 'vec2<f32>(0.0)'};
${body}
      }
      workgroupBarrier();
    }
  }
${store}
}`;
}

/** Δ_i = dO_i · out_i, written into Stats[i].y (the forward pass left lse in .x). */
export function deltaKernel(rows: number, D: number, rowStride: number): string {
  const D4 = D / 4;
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> O: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> dO: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Stats: array<vec2<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * ${rowStride}u;
  if (i >= ${rows}u) { return; }
  var s: f32 = 0.0;
  for (var d = 0u; d < ${D4}u; d = d + 1u) { s = s + dot(O[i * ${D4}u + d], dO[i * ${D4}u + d]); }
  Stats[i].y = s;
}`;
}
