// The kernel helper (src/ops/kernel.ts): the WGSL it writes (snapshots, so a change to the generator
// shows as a readable diff), parameter blocks (values change, the pipeline does not), grids folded
// into 2-D past 65,535 workgroups, and nothing dispatched for zero items.
import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, Tensor, tensor, defineKernel, rowKernel, mulScalar, full } from '../src/index.js';
import { getDevice } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

const scaleKernel = defineKernel({
  name: 'test_scale',
  inputs: { A: 'f32' },
  outputs: { O: 'f32' },
  params: { s: 'f32', offset: 'u32' },
  each: 'thread',
  body: '  O[i] = A[i + P.offset] * P.s;',
});

/** A row sum over rows of P.len (or `len`) elements, as workgroups or as threads. */
const rowSum = (mode: 'group' | 'thread', len = 'P.len') =>
  rowKernel(mode, 1, {
    name: 'test_row_sum',
    inputs: { X: 'f32' },
    outputs: { O: 'f32' },
    params: len === 'P.len' ? { len: 'u32' } : {},
    body: (kit) =>
      `  var acc: f32 = 0.0;\n  ${kit.loop('j', len)} { acc = acc + X[r * ${len} + j]; }\n  let t = ${kit.sum('acc', 0)};\n  ${kit.once('O[r] = t;')}`,
  });

describe('defineKernel', () => {
  it('writes the bindings, the parameter block, the entry point and the index (snapshots)', async () => {
    await expect(scaleKernel.code).toMatchFileSnapshot('__snapshots__/kernel-thread.wgsl');
    await expect(rowSum('group').code).toMatchFileSnapshot('__snapshots__/kernel-group.wgsl');
    await expect(rowSum('thread').code).toMatchFileSnapshot('__snapshots__/kernel-row-thread.wgsl');
  });

  it('takes new parameter values without compiling again', async () => {
    const a = tensor(d, [1, 2, 3, 4, 5], [5]);
    const o = Tensor.empty(d, [4]);
    scaleKernel.launch(d, { inputs: [a.buffer], outputs: [o.buffer], count: 4, params: { s: 2, offset: 0 } });
    expect(Array.from(await o.toArray())).toEqual([2, 4, 6, 8]);
    const compiled = d.counters.pipelinesCompiled;
    scaleKernel.launch(d, { inputs: [a.buffer], outputs: [o.buffer], count: 4, params: { s: -0.5, offset: 1 } });
    expect(Array.from(await o.toArray())).toEqual([-1, -1.5, -2, -2.5]);
    // many values in one batch: each dispatch reads its own block
    const outs = [1, 2, 3, 4, 5, 6].map((s) => {
      const t = Tensor.empty(d, [4]);
      scaleKernel.launch(d, { inputs: [a.buffer], outputs: [t.buffer], count: 4, params: { s, offset: 0 } });
      return t;
    });
    for (const [k, t] of outs.entries()) expect(Array.from(await t.toArray())).toEqual([1, 2, 3, 4].map((v) => v * (k + 1)));
    for (let step = 0; step < 20; step++) mulScalar(a, 1 + step / 7).dispose();
    await d.sync();
    expect(d.counters.pipelinesCompiled - compiled).toBeLessThanOrEqual(1); // mulScalar's one kernel
    for (const t of [a, o, ...outs]) t.dispose();
  });

  it('folds more than 65,535 workgroups into a 2-D grid', async () => {
    const max = d.limits.maxComputeWorkgroupsPerDimension;
    // 'thread': (max + 3) workgroups of 256 invocations
    const n = (max + 3) * 256 + 5;
    const t = full(d, [n], 3);
    const all = await t.toArray();
    expect(Array.from(all.subarray(n - 8))).toEqual(Array(8).fill(3));
    t.dispose();
    // 'group': one workgroup per row, more rows than one grid dimension holds
    const rows = max + 10;
    const x = full(d, [rows * 2], 1.5);
    const o = Tensor.empty(d, [rows]);
    rowSum('group', '2u').launch(d, { inputs: [x.buffer], outputs: [o.buffer], count: rows });
    const sums = await o.toArray();
    expect(Array.from(sums.subarray(rows - 4))).toEqual([3, 3, 3, 3]);
    expect(sums[0]).toBe(3);
    x.dispose();
    o.dispose();
  });

  it('dispatches nothing for zero items, and names the kernel when bindings do not match', () => {
    const before = d.counters.dispatches;
    const a = Tensor.empty(d, [1]);
    scaleKernel.launch(d, { inputs: [a.buffer], outputs: [a.buffer], count: 0, params: { s: 1, offset: 0 } });
    a.dispose();
    expect(() => scaleKernel.launch(d, { inputs: [], outputs: [], count: 3, params: { s: 1, offset: 0 } })).toThrowError(
      /test_scale: kernel binds 1 inputs and 1 outputs, got 0 and 0/,
    );
    expect(d.counters.dispatches).toBe(before);
  });
});
