import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, Tensor, tensor, exp } from '../src/index.js';
import { createDevice } from '../src/node/index.js';
import { getDevice } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('errors a user can act on', () => {
  it('a WGSL compile error shows the message and the source lines around it', async () => {
    const out = Tensor.empty(d, [4]);
    const code = `@group(0) @binding(0) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(1)
fn main() {
  let x: f32 = 1.0;
  O[0] = x + undefined_thing;
}`;
    d.dispatch({ name: 'broken_kernel', code, inputs: [], outputs: [out.buffer], workgroups: [1] });
    const err = await d.sync().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).toBe('KernelCompileError');
    expect(err?.message).toMatch(/WGSL kernel 'broken_kernel' failed to compile/);
    expect(err?.message).toMatch(/undefined_thing/);
    expect(err?.message).toContain('5 |   O[0] = x + undefined_thing;');
    expect(err?.message).toMatch(/\n {7}\| {14}\^/); // the caret sits under column 14
    // the device stays usable afterwards
    expect(Array.from(await exp(tensor(d, [0], [1])).toArray())).toEqual([1]);
  });

  it('a buffer larger than the adapter allows is refused with both numbers', () => {
    const maxBuf = d.limits.maxBufferSize;
    const maxBind = d.limits.maxStorageBufferBindingSize;
    const n = Math.floor(Math.max(maxBuf, maxBind) / 4) + 1;
    let err: Error | undefined;
    try {
      Tensor.empty(d, [n]);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.name).toBe('DeviceLimitError');
    expect(err?.message).toContain(`${n * 4} bytes`);
    expect(err?.message).toContain(`${maxBind} bytes`);
  });

  it('a lost device is reported, not a hang', async () => {
    const d2 = await createDevice();
    const t = tensor(d2, [1, 2, 3], [3]);
    d2.gpu.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const err = await (async () => exp(t).toArray())().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).toBe('DeviceLostError');
    expect(err?.message).toMatch(/lost/);
  });

  it('an unknown adapter name says what was tried', async () => {
    await expect(createDevice({ adapter: 'no-such-gpu-xyz' })).rejects.toThrowError(/no WebGPU adapter matches 'no-such-gpu-xyz'. Tried:/);
  });
});

describe('error classes', () => {
  it('a dtype mismatch is a DTypeError and a device mismatch a DeviceMismatchError, not a ShapeError', async () => {
    const e = await import('../src/index.js');
    const other = await createDevice(); // a second device on the same adapter
    const half = e.tensorFromBits(d, new Uint16Array(4), [4], 'f16');
    const f = e.tensor(d, [1, 2, 3, 4], [4]);
    for (const [what, fn] of [
      ['add f16', () => e.add(half, f)],
      ['requireGrad f16', () => half.requireGrad()],
    ] as const) {
      const err = (() => {
        try {
          fn();
        } catch (x) {
          return x as Error;
        }
      })();
      expect(err, what).toBeInstanceOf(e.DTypeError);
      expect(err, what).not.toBeInstanceOf(e.ShapeError);
    }
    expect(() => e.add(f, e.tensor(other, [1, 2, 3, 4], [4]))).toThrowError(e.DeviceMismatchError);
    expect(() => e.add(f, e.tensor(other, [1, 2, 3, 4], [4]))).toThrowError(/add: operands live on different devices/);
    other.destroy();
  });

  it('errors about what the caller gave are InputErrors (the CLI exits 2 on them); device failures are not', async () => {
    const e = await import('../src/index.js');
    const { OutputExistsError } = await import('../src/node/index.js');
    for (const input of [
      new e.ShapeError('op', 'x'),
      new e.DTypeError('op', 'x'),
      new e.DeviceMismatchError('op', 'x'),
      new e.DeviceLimitError('w', 2, 1),
      new e.AdapterError('a'),
      new e.SafetensorsError('f', 'p'),
      new OutputExistsError('f'),
    ])
      expect(input, input.name).toBeInstanceOf(e.InputError);
    for (const failure of [new e.DeviceLostError('lost'), new e.OutOfMemoryError('oom'), new e.KernelCompileError('k', 'm'), new e.DisposedError('d')]) {
      expect(failure, failure.name).toBeInstanceOf(e.ClearditError);
      expect(failure, failure.name).not.toBeInstanceOf(e.InputError);
    }
  });
});
