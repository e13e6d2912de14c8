// Row kernels, written once for two machines. A row kernel reduces or normalises `count` rows; its
// body is written with the kit's loops and reductions, and compiles either way:
// - 'group' (GPUs): one workgroup of 64 invocations per row; loops stride by 64 from the lane, and
//   reductions are workgroup tree sums, each in its own slot of workgroup memory (Mesa llvmpipe 22.3
//   lets a later reduction's stores overtake an earlier one's final read across a barrier).
// - 'thread' (software adapters): one invocation per row; loops walk the row, reductions are the
//   value itself. llvmpipe runs a workgroup's invocations as SIMD lanes on one thread, so a barrier
//   and a shared-memory tree cost far more than the row's own arithmetic (layer norm over
//   [8192, 64]: 33 ms as workgroups, a few ms as threads).

import type { Device } from '../device/device.js';
import { axisGeometry } from './axes.js';
import { defineKernel, type Kernel, type KernelSpec } from './kernel.js';

export const RW = 64;

/** A tensor viewed as rows around `axis`: outer·inner rows of `len` elements at stride `inner`. */
export interface RowGeometry {
  rows: number;
  len: number;
  inner: number;
}

export function rowGeometry(shape: readonly number[], axis: number): RowGeometry {
  const { outer, len, inner } = axisGeometry(shape, axis);
  return { rows: outer * inner, len, inner };
}

/** WGSL every strided row kernel starts with: row r covers elements base + j·P.inner, j < P.len. */
export const ROW_BASE = '  let base = (r / P.inner) * P.len * P.inner + r % P.inner;\n';
/** The parameters ROW_BASE reads. */
export const ROW_PARAMS = { len: 'u32', inner: 'u32' } as const;

export type RowMode = 'thread' | 'group';

/** Threads per row on software adapters when there are enough rows to fill their cores' lanes. */
export function rowMode(device: Device, rows: number): RowMode {
  return device.kernels === 'software' && rows >= 256 ? 'thread' : 'group';
}

export interface RowKit {
  mode: RowMode;
  /** `for (...)` header visiting j over [0, len) — this invocation's share of the row. */
  loop(j: string, len: string): string;
  /** The row-wide sum (max) of v, the same value in every invocation of the row. */
  sum(v: string, slot: number): string;
  max(v: string, slot: number): string;
  /** A statement run once per row. */
  once(stmt: string): string;
}

export function rowKit(mode: RowMode): RowKit {
  if (mode === 'thread')
    return {
      mode,
      loop: (j, len) => `for (var ${j} = 0u; ${j} < ${len}; ${j} = ${j} + 1u)`,
      sum: (v) => `(${v})`,
      max: (v) => `(${v})`,
      once: (s) => s,
    };
  return {
    mode,
    loop: (j, len) => `for (var ${j} = lid.x; ${j} < ${len}; ${j} = ${j} + ${RW}u)`,
    sum: (v, slot) => `wg_sum(${v}, lid.x, ${slot}u)`,
    max: (v, slot) => `wg_max(${v}, lid.x, ${slot}u)`,
    once: (s) => `if (lid.x == 0u) { ${s} }`,
  };
}

/**
 * A kernel over rows: the body sees the row index `r` (< P.count) and writes its loops and reductions
 * with `kit`; `slots` is how many reductions it makes (each gets its own workgroup memory in 'group').
 */
export function rowKernel(mode: RowMode, slots: number, spec: Omit<KernelSpec, 'each' | 'body' | 'workgroupSize'> & { body: (kit: RowKit) => string }): Kernel {
  const kit = rowKit(mode);
  const reductions = mode === 'group' && slots > 0 ? wgReductions(slots, ['sum', 'max']) : '';
  return defineKernel({
    ...spec,
    prelude: `${reductions}\n${spec.prelude ?? ''}`,
    each: mode,
    workgroupSize: RW,
    body: `${mode === 'thread' ? '  let r = i;\n' : ''}${spec.body(kit)}`,
  });
}

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
