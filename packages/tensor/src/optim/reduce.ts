// Two-stage GPU sums for the optimizers' global scalars (Prodigy's ⟨g, p₀ − p⟩ and Σ|s|, the gradient
// norm for clipping): a per-element kernel writes one vec2 partial per workgroup of CHUNK elements,
// then one workgroup folds a parameter's partials into its two slots of a shared stats buffer. Fixed
// reduction order: the same inputs give the same bits every run.

import { Tensor } from '../tensor.js';
import type { Device } from '../device/device.js';
import { defineKernel, foldGrid, type Kernel } from '../ops/kernel.js';
import { memo } from '../ops/wgsl.js';

export const WG = 256;
/** Elements per thread in the first stage. */
export const PER_THREAD = 16;
export const CHUNK = WG * PER_THREAD;

export function partialCount(n: number): number {
  return Math.max(1, Math.ceil(n / CHUNK));
}

/**
 * A first-stage kernel over P.n elements: `body` runs once per element index `i` and must set
 * `contrib: vec2<f32>`; the workgroup's sum lands in PART[workgroup] (PART, an output of
 * vec2<f32>, is added after `outputs`). Launch it with stageOneLaunch. The element count is a
 * parameter, so a body compiles once for every parameter size.
 */
export function stageOne(name: string, inputs: Record<string, string>, outputs: Record<string, string>, body: string): Kernel {
  return defineKernel({
    name,
    inputs,
    outputs: { ...outputs, PART: 'vec2<f32>' },
    params: { n: 'u32', groups: 'u32' },
    prelude: `var<workgroup> red: array<vec2<f32>, ${WG}>;`,
    workgroupSize: WG,
    each: 'grid',
    body: `  let wg = wid.x + wid.y * nwg.x;
  if (wg >= P.groups) { return; }
  var acc = vec2<f32>(0.0);
  for (var e = 0u; e < ${PER_THREAD}u; e = e + 1u) {
    let i = wg * ${CHUNK}u + e * ${WG}u + lid.x;
    if (i < P.n) {
      var contrib = vec2<f32>(0.0);
      ${body}
      acc = acc + contrib;
    }
  }
  ${TREE}
  if (lid.x == 0u) { PART[wg] = red[0]; }`,
  });
}

// the workgroup's vec2 tree sum into red[0] (one reduction per kernel, so no llvmpipe slot hazard)
const TREE = `red[lid.x] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { red[lid.x] = red[lid.x] + red[lid.x + s]; }
    workgroupBarrier();
  }`;

/** Records a stageOne kernel over n elements. */
export function stageOneLaunch(device: Device, k: Kernel, n: number, inputs: GPUBuffer[], outputs: GPUBuffer[]): void {
  const groups = partialCount(n);
  if (n) k.launch(device, { inputs, outputs, params: { n, groups }, workgroups: foldGrid(device, groups) });
}

const FOLD = () =>
  memo('optim_fold', () =>
    defineKernel({
      name: 'optim_fold',
      inputs: { PART: 'vec2<f32>' },
      outputs: { STATS: 'f32' },
      params: { parts: 'u32' },
      prelude: `var<workgroup> red: array<vec2<f32>, ${WG}>;`,
      workgroupSize: WG,
      each: 'grid',
      body: `  var acc = vec2<f32>(0.0);
  for (var j = lid.x; j < P.parts; j = j + ${WG}u) { acc = acc + PART[j]; }
  ${TREE}
  if (lid.x == 0u) { STATS[0] = red[0].x; STATS[1] = red[0].y; }`,
    }),
  );

/**
 * Second stage: STATS[2·slot], STATS[2·slot + 1] = the sums of `parts` vec2 partials. The kernel writes
 * its own two-float tensor, copied into the slot, so it compiles once, not per slot.
 */
export function foldPartials(device: Device, part: Tensor, parts: number, stats: Tensor, slot: number): void {
  if (parts === 1) {
    // a parameter of at most CHUNK elements: its one partial is the sum
    device.copy(part.buffer, 0, stats.buffer, 8 * slot, 8);
    return;
  }
  const out = Tensor.empty(device, [2]);
  FOLD().launch(device, { inputs: [part.buffer], outputs: [out.buffer], params: { parts }, workgroups: [1] });
  device.copy(out.buffer, 0, stats.buffer, 8 * slot, 8);
  out.dispose();
}
