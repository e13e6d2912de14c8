// The fused attention kernels (WGSL generators): forward (flash style, online softmax), dq, and dk/dv.
// All three walk a plan's traversal: a workgroup owns 64 tokens (a dense range or one image tile) for
// one (batch, head); it visits the plan's segments of partner tokens in chunks staged in workgroup
// memory; each invocation handles its own token (one on GPUs; 2–8 on software adapters, which then
// read each partner once for several queries) against every partner in the chunk, testing the disc
// only in partial tiles. The L×L score matrix never exists. Full attention is the same kernel with a
// dense plan. Reference: reference.ts.
//
//   forward  own = query i, partners = keys j:   m, l, acc  → out_i = acc/l, lse_i = m + log l
//   dq       own = query i, partners = keys j:   dq_i = scale Σ_j p_ij (dO_i·v_j − Δ_i) k_j
//   dkdv     own = key j, partners = queries i:  dv_j = Σ_i p_ij dO_i,  dk_j = scale Σ_i p_ij (dO_i·v_j − Δ_i) q_i
// with p_ij = exp(scale q_i·k_j − lse_i) and Δ_i = dO_i·out_i.

import { f32Lit, defineKernel, type Kernel } from '@cleardit/tensor';
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

/**
 * Head dims up to this many vec4s are unrolled: every per-token vector and accumulator becomes its own
 * variable (llvmpipe keeps a private array in memory unless every index is a constant), and a partner's
 * vectors are read once for both passes instead of twice.
 */
const UNROLL_MAX_D4 = 8;

export function attentionKernel(k: KernelShape): Kernel {
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
  // The head-dim loop: unrolled (constant d, one variable per vec4) or a loop over private arrays.
  const unroll = D4 <= UNROLL_MAX_D4;
  const ds = Array.from({ length: D4 }, (_, d) => d);
  const at = (name: string, i: number, d: string) => (unroll ? `${name}_${i}_${d}` : `${name}_${i}[${d}]`);
  const forD = (indent: string, f: (d: string) => string) =>
    unroll
      ? ds.map((d) => f(String(d)).replace(/^/gm, indent)).join('\n')
      : `${indent}for (var d = 0u; d < D4; d = d + 1u) {\n${f('d').replace(/^/gm, `${indent}  `)}\n${indent}}`;
  const declare = (name: string, init: string) =>
    unroll ? ds.map((d) => `  var ${name}_${d}: vec4<f32> = ${init};`).join('\n') : `  var ${name}: array<vec4<f32>, ${D4}>;`;
  const partner = (d: string) => (unroll ? `pa${d}` : 'pa');
  const partnerB = (d: string) => (unroll ? `pb${d}` : 'pb');
  // Bindings: the own-side vectors, the partner-side vectors, the plan, then outputs.
  const v4 = 'vec4<f32>';
  const bindings: Record<KernelRole, { inputs: Record<string, string>; outputs: Record<string, string> }> = {
    forward: { inputs: { Own1: v4, Par1: v4, Par2: v4, Plan: 'u32' }, outputs: { Out1: v4, Stats: 'vec2<f32>' } }, // q; k, v → out, (lse, Δ)
    dq: { inputs: { Own1: v4, Own2: v4, Stats: 'vec2<f32>', Par1: v4, Par2: v4, Plan: 'u32' }, outputs: { Out1: v4 } }, // q, dO, stats; k, v → dq
    dkdv: { inputs: { Own1: v4, Own2: v4, Par1: v4, Par2: v4, Stats: 'vec2<f32>', Plan: 'u32' }, outputs: { Out1: v4, Out2: v4 } }, // k, v; q, dO, stats → dk, dv
  };

  // Per partner j: pass 1 over the head dim gives each own token's score (and dO·v), then the
  // scalar updates, then pass 2 updates the accumulators. Each partner vector read serves Q tokens.
  const active = (i: number) => `valid_${i} && (!partial || in_disc(me_${i}, j))`;
  const pass1 = (d: string) =>
    ({
      forward: per((i) => `s_${i} = s_${i} + dot(${at('own1', i, d)}, ${partner(d)});`),
      dq: per((i) => `s_${i} = s_${i} + dot(${at('own1', i, d)}, ${partner(d)});\nt_${i} = t_${i} + dot(${at('own2', i, d)}, ${partnerB(d)});`),
      dkdv: per((i) => `s_${i} = s_${i} + dot(${partner(d)}, ${at('own1', i, d)});\nt_${i} = t_${i} + dot(${partnerB(d)}, ${at('own2', i, d)});`),
    })[role];
  const scalars = {
    forward: per(
      (i) => `        var c_${i}: f32 = 1.0;
        var p_${i}: f32 = 0.0;
        if (${active(i)}) {
          // one exp: the larger of (m, sv) contributes exp(0) = 1
          let sv = s_${i} * SCALE;
          let e = exp(-abs(sv - m_${i}));
          let up = sv > m_${i};
          c_${i} = select(1.0, e, up);
          p_${i} = select(e, 1.0, up);
          l_${i} = l_${i} * c_${i} + p_${i};
          m_${i} = max(m_${i}, sv);
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
  const pass2 = (d: string) =>
    ({
      forward: per((i) => `${at('acc1', i, d)} = ${at('acc1', i, d)} * c_${i} + p_${i} * ${partnerB(d)};`),
      dq: per((i) => `${at('acc1', i, d)} = ${at('acc1', i, d)} + g_${i} * ${partner(d)};`),
      dkdv: per(
        (i) => `${at('acc2', i, d)} = ${at('acc2', i, d)} + p_${i} * ${partnerB(d)};\n${at('acc1', i, d)} = ${at('acc1', i, d)} + g_${i} * ${partner(d)};`,
      ),
    })[role];
  const load = (d: string) => `let ${partner(d)} = P1[j * D4 + ${d}${unroll ? 'u' : ''}];\nlet ${partnerB(d)} = P2[j * D4 + ${d}${unroll ? 'u' : ''}];`;
  const body = `        ${per((i) => `var s_${i}: f32 = 0.0;${twoOwn ? ` var t_${i}: f32 = 0.0;` : ''}`, '\n        ')}
${unroll ? `${forD('        ', load)}\n${forD('        ', pass1)}` : forD('        ', (d) => `${load(d)}\n${pass1(d)}`)}
${scalars}
${unroll ? forD('        ', pass2) : forD('        ', (d) => `${load(d)}\n${pass2(d)}`)}`;

  const setup = per(
    (i) => `  let me_${i} = token(kind, ia, ib, lid.x + ${i * NT}u);
  let valid_${i} = me_${i}.ok;
  let base_${i} = (bh * OWN_LEN + min(me_${i}.index, OWN_LEN - 1u)) * D4;
${declare(unroll ? `own1_${i}` : `own1_${i}`, 'vec4<f32>(0.0)')}
${declare(`acc1_${i}`, 'vec4<f32>(0.0)')}${twoOwn ? `\n${declare(`own2_${i}`, 'vec4<f32>(0.0)')}` : ''}${role === 'dkdv' ? `\n${declare(`acc2_${i}`, 'vec4<f32>(0.0)')}` : ''}
${forD('  ', (d) => `${at('own1', i, d)} = select(vec4<f32>(0.0), Own1[base_${i} + ${d}${unroll ? 'u' : ''}], valid_${i});${twoOwn ? `\n${at('own2', i, d)} = select(vec4<f32>(0.0), Own2[base_${i} + ${d}${unroll ? 'u' : ''}], valid_${i});` : ''}`)}
  var m_${i}: f32 = -3.0e38;
  var l_${i}: f32 = 0.0;
  let stats_${i} = ${role === 'dq' ? `Stats[bh * OWN_LEN + min(me_${i}.index, OWN_LEN - 1u)]` : 'vec2<f32>(0.0)'};`,
  );
  const du = (d: string) => `${d}${unroll ? 'u' : ''}`;
  const store = per(
    (i) =>
      ({
        forward: `  if (valid_${i}) {
    let inv = select(0.0, 1.0 / l_${i}, l_${i} > 0.0);
${forD('    ', (d) => `Out1[base_${i} + ${du(d)}] = ${at('acc1', i, d)} * inv;`)}
    Stats[bh * OWN_LEN + me_${i}.index] = vec2<f32>(select(-3.0e38, m_${i} + log(l_${i}), l_${i} > 0.0), 0.0);
  }`,
        dq: `  if (valid_${i}) {
${forD('    ', (d) => `Out1[base_${i} + ${du(d)}] = ${at('acc1', i, d)} * SCALE;`)}
  }`,
        dkdv: `  if (valid_${i}) {
${forD('    ', (d) => `Out1[base_${i} + ${du(d)}] = ${at('acc1', i, d)} * SCALE;\nOut2[base_${i} + ${du(d)}] = ${at('acc2', i, d)};`)}
  }`,
      })[role],
  );

  const prelude = /* wgsl */ `const D4: u32 = ${D4}u;
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
}`;

  const main = /* wgsl */ `  let bh = wid.y;
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
      for (var e = lid.x; e < C * D4; e = e + ${NT}u) {
        let j = e / D4;
        let t = token(pkind, sa, sb, c0 - start + j);
        let base = (bh * PAR_LEN + min(t.index, PAR_LEN - 1u)) * D4 + e % D4;
        P1[e] = Par1[base];
        P2[e] = Par2[base];
      }
      for (var jj = lid.x; jj < C; jj = jj + ${NT}u) {
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
${store}`;
  return defineKernel({ name: `${plan.kind}_attention_${role}`, ...bindings[role], prelude, workgroupSize: NT, each: 'grid', body: main });
}

/** Δ_i = dO_i · out_i, written into Stats[i].y (the forward pass left lse in .x); one thread per row. */
export function deltaKernel(D: number): Kernel {
  return defineKernel({
    name: 'attention_delta',
    inputs: { O: 'vec4<f32>', dO: 'vec4<f32>' },
    outputs: { Stats: 'vec2<f32>' },
    each: 'thread',
    workgroupSize: 64,
    body: `  var s: f32 = 0.0;
  for (var d = 0u; d < ${D / 4}u; d = d + 1u) { s = s + dot(O[i * ${D / 4}u + d], dO[i * ${D / 4}u + d]); }
  Stats[i].y = s;`,
  });
}
