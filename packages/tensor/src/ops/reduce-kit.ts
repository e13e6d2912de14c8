// Pieces the backward kernels share: one workgroup of 64 invocations per output element (folded into
// 2-D past 65,535 workgroups) and workgroup tree sums, each in its own slot of workgroup memory (Mesa
// llvmpipe 22.3 lets a later reduction's stores overtake an earlier one's final read across a barrier;
// see rows.ts).

import type { Device } from '../device/device.js';

export const RW = 64;

/** Workgroups for `groups` output elements, one workgroup each; `id` is WGSL declaring `let r`, returning past the end. */
export function groupGrid(device: Device, groups: number): { workgroups: [number, number]; id: string } {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  const x = Math.max(1, Math.min(groups, max));
  return {
    workgroups: [groups === 0 ? 0 : x, Math.ceil(groups / max)],
    id: `let r = wid.x + wid.y * ${x}u;\n  if (r >= ${groups}u) { return; }\n  let lid = lidv.x;`,
  };
}

/** The entry point of a workgroup-per-element kernel (declares wid and lidv). */
export const GROUP_ENTRY = `@compute @workgroup_size(${RW})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>)`;

/**
 * WGSL workgroup tree reductions `wg_sum(v, lid, slot)` (and `wg_max` when asked), each call in its
 * own slot of `slots` so that consecutive reductions never share memory.
 */
export function wgReductions(slots: number, ops: readonly ('sum' | 'max')[] = ['sum']): string {
  const fn = (op: 'sum' | 'max') => `
fn wg_${op}(v: f32, lid: u32, slot: u32) -> f32 {
  let o = slot * ${RW}u;
  red[o + lid] = v;
  workgroupBarrier();
  for (var s = ${RW / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[o + lid] = ${op === 'sum' ? 'red[o + lid] + red[o + lid + s]' : 'max(red[o + lid], red[o + lid + s])'}; }
    workgroupBarrier();
  }
  let r = red[o];
  workgroupBarrier();
  return r;
}`;
  return `\nvar<workgroup> red: array<f32, ${slots * RW}>;${ops.map(fn).join('')}`;
}

/** WGSL: `wg_sum(v, lid, slot)` over the workgroup, with `slots` independent slots. */
export const wgSum = (slots: number) => wgReductions(slots, ['sum']);
