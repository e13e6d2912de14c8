// Two-stage GPU sums for the optimizers' global scalars (Prodigy's ⟨g, p₀ − p⟩ and Σ|s|, the gradient
// norm for clipping): a per-element kernel writes one vec2 partial per workgroup of CHUNK elements,
// then one workgroup folds a parameter's partials into its two slots of a shared stats buffer. Fixed
// reduction order: the same inputs give the same bits every run.

import { Tensor } from '../tensor.js';
import type { Device } from '../device/device.js';

export const WG = 256;
/** Elements per thread in the first stage. */
export const PER_THREAD = 16;
export const CHUNK = WG * PER_THREAD;

export function partialCount(n: number): number {
  return Math.max(1, Math.ceil(n / CHUNK));
}

/**
 * WGSL for a first-stage kernel over `n` elements: `body` runs once per element index `i` and must set
 * `contrib: vec2<f32>`; the workgroup's sum lands in PART[workgroup]. `decls` declares the bindings
 * (PART must be declared as array<vec2<f32>>).
 */
export function stageOne(device: Device, n: number, decls: string, body: string): { code: string; workgroups: [number, number] } {
  const groups = partialCount(n);
  const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
  return {
    workgroups: [x, Math.ceil(groups / x)],
    code: `${decls}
var<workgroup> red: array<vec2<f32>, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lidv: vec3<u32>) {
  let lid = lidv.x;
  let wg = wid.x + wid.y * ${x}u;
  if (wg >= ${groups}u) { return; }
  var acc = vec2<f32>(0.0);
  for (var e = 0u; e < ${PER_THREAD}u; e = e + 1u) {
    let i = wg * ${CHUNK}u + e * ${WG}u + lid;
    if (i < ${n}u) {
      var contrib = vec2<f32>(0.0);
      ${body}
      acc = acc + contrib;
    }
  }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { PART[wg] = red[0]; }
}`,
  };
}

/**
 * Second stage: STATS[2·slot], STATS[2·slot + 1] = the sums of `parts` vec2 partials. The kernel writes
 * its own two-float tensor, copied into the slot, so it compiles once per partial count, not per slot.
 */
export function foldPartials(device: Device, part: Tensor, parts: number, stats: Tensor, slot: number): void {
  if (parts === 1) {
    // a parameter of at most CHUNK elements: its one partial is the sum
    device.copy(part.buffer, 0, stats.buffer, 8 * slot, 8);
    return;
  }
  const out = Tensor.empty(device, [2]);
  const code = `
@group(0) @binding(0) var<storage, read> PART: array<vec2<f32>>;
@group(0) @binding(1) var<storage, read_write> STATS: array<f32>;
var<workgroup> red: array<vec2<f32>, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lidv: vec3<u32>) {
  let lid = lidv.x;
  var acc = vec2<f32>(0.0);
  for (var j = lid; j < ${parts}u; j = j + ${WG}u) { acc = acc + PART[j]; }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { STATS[0] = red[0].x; STATS[1] = red[0].y; }
}`;
  device.dispatch({ name: 'optim_fold', code, inputs: [part.buffer], outputs: [out.buffer], workgroups: [1] });
  device.copy(out.buffer, 0, stats.buffer, 8 * slot, 8);
  out.dispose();
}
