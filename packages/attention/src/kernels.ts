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
  const T = plan.textLength;
  const w = plan.width;
  const h = plan.height;
  const r2 = plan.radius * plan.radius;
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

  const pairBody = {
    forward: `
        var s: f32 = 0.0;
        for (var d = 0u; d < D4; d = d + 1u) { s = s + dot(own1[d], P1[j * D4 + d]); }
        s = s * SCALE;
        if (s > m) {
          let corr = exp(m - s);
          l = l * corr;
          for (var d = 0u; d < D4; d = d + 1u) { acc1[d] = acc1[d] * corr; }
          m = s;
        }
        let p = exp(s - m);
        l = l + p;
        for (var d = 0u; d < D4; d = d + 1u) { acc1[d] = acc1[d] + p * P2[j * D4 + d]; }`,
    dq: `
        var s: f32 = 0.0;
        var dp: f32 = 0.0;
        for (var d = 0u; d < D4; d = d + 1u) {
          s = s + dot(own1[d], P1[j * D4 + d]);
          dp = dp + dot(own2[d], P2[j * D4 + d]);
        }
        let p = exp(s * SCALE - stats.x);
        let ds = p * (dp - stats.y);
        for (var d = 0u; d < D4; d = d + 1u) { acc1[d] = acc1[d] + ds * P1[j * D4 + d]; }`,
    dkdv: `
        var s: f32 = 0.0;
        var dp: f32 = 0.0;
        for (var d = 0u; d < D4; d = d + 1u) {
          s = s + dot(P1[j * D4 + d], own1[d]);
          dp = dp + dot(P2[j * D4 + d], own2[d]);
        }
        let st = PS[j];
        let p = exp(s * SCALE - st.x);
        let ds = p * (dp - st.y);
        for (var d = 0u; d < D4; d = d + 1u) {
          acc2[d] = acc2[d] + p * P2[j * D4 + d];
          acc1[d] = acc1[d] + ds * P1[j * D4 + d];
        }`,
  }[role];

  const loadOwn =
    role === 'forward'
      ? `for (var d = 0u; d < D4; d = d + 1u) { own1[d] = select(vec4<f32>(0.0), Own1[ownBase + d], valid); }`
      : `for (var d = 0u; d < D4; d = d + 1u) { own1[d] = select(vec4<f32>(0.0), Own1[ownBase + d], valid); own2[d] = select(vec4<f32>(0.0), Own2[ownBase + d], valid); }`;
  const store = {
    forward: `
  if (valid) {
    let inv = select(0.0, 1.0 / l, l > 0.0);
    for (var d = 0u; d < D4; d = d + 1u) { Out1[ownBase + d] = acc1[d] * inv; }
    Stats[bh * OWN_LEN + own] = vec2<f32>(select(-3.0e38, m + log(l), l > 0.0), 0.0);
  }`,
    dq: `
  if (valid) { for (var d = 0u; d < D4; d = d + 1u) { Out1[ownBase + d] = acc1[d] * SCALE; } }`,
    dkdv: `
  if (valid) {
    for (var d = 0u; d < D4; d = d + 1u) { Out1[ownBase + d] = acc1[d] * SCALE; Out2[ownBase + d] = acc2[d]; }
  }`,
  }[role];

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

@compute @workgroup_size(${GROUP})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let lid = lidv.x;
  let bh = wid.y;
  let it = wid.x * 5u;
  let kind = Plan[it];
  let ia = Plan[it + 1u];
  let ib = Plan[it + 2u];
  let s0 = Plan[it + 3u];
  let sc = Plan[it + 4u];
  let me = token(kind, ia, ib, lid);
  let own = me.index;
  let valid = me.ok;
  let ownBase = (bh * OWN_LEN + min(own, OWN_LEN - 1u)) * D4;
  var own1: array<vec4<f32>, ${D4}>;
  var own2: array<vec4<f32>, ${D4}>;
  var acc1: array<vec4<f32>, ${D4}>;
  var acc2: array<vec4<f32>, ${D4}>;
  ${loadOwn}
  var m: f32 = -3.0e38;
  var l: f32 = 0.0;
  let stats = ${role === 'dq' ? 'Stats[bh * OWN_LEN + min(own, OWN_LEN - 1u)]' : 'vec2<f32>(0.0)'};
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
      for (var e = lid; e < C * D4; e = e + ${GROUP}u) {
        let j = e / D4;
        let t = token(pkind, sa, sb, c0 - start + j);
        let base = (bh * PAR_LEN + min(t.index, PAR_LEN - 1u)) * D4 + e % D4;
        P1[e] = Par1[base];
        P2[e] = Par2[base];
      }
      if (lid < C) {
        let t = token(pkind, sa, sb, c0 - start + lid);
        POK[lid] = select(0u, 1u, t.ok && c0 + lid < stop);
        PY[lid] = t.y;
        PX[lid] = t.x;
        ${role === 'dkdv' ? 'PS[lid] = Stats[bh * PAR_LEN + min(t.index, PAR_LEN - 1u)];' : ''}
      }
      workgroupBarrier();
      for (var j = 0u; j < C; j = j + 1u) {
        if (!valid || POK[j] == 0u) { continue; }
        if (partial) {
          let dy = f32(me.y - PY[j]);
          let dx = f32(me.x - PX[j]);
          if (dy * dy + dx * dx >= R2) { continue; }
        }${pairBody}
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
