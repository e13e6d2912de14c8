// Making tensors: from host data, filled with a constant, or seeded random values.

import type { Device } from './device/device.js';
import { Tensor } from './tensor.js';
import type { DType, Packed16 } from './dtype.js';
import { DTypeError, ShapeError } from './errors.js';
import { numel, fmtShape, type Shape } from './shape.js';
import { floatsToBf16s, floatsToHalves } from './half.js';
import { memo } from './ops/wgsl.js';
import { defineKernel } from './ops/kernel.js';

const FILL = () =>
  memo('fill', () => defineKernel({ name: 'fill', outputs: { O: 'f32' }, params: { value: 'f32' }, each: 'thread', body: '  O[i] = P.value;' }));
import { normalValues, uniformValues } from './random.js';

/** Uploads host values. Numbers are converted to `dtype` (f16 and bf16 are rounded to nearest even). */
export function tensor(device: Device, data: ArrayLike<number>, shape: Shape, dtype: DType = 'f32'): Tensor {
  const n = numel(shape);
  if (data.length !== n) throw new ShapeError('tensor', `${data.length} values do not fill shape ${fmtShape(shape)} (${n} elements)`);
  const t = Tensor.empty(device, shape, dtype);
  let host: ArrayBufferView;
  if (dtype === 'f32') host = data instanceof Float32Array ? data : Float32Array.from(data);
  else if (dtype === 'f16') host = floatsToHalves(data);
  else if (dtype === 'bf16') host = floatsToBf16s(data);
  else if (dtype === 'i32') host = data instanceof Int32Array ? data : Int32Array.from(data);
  else host = data instanceof Uint32Array ? data : Uint32Array.from(data);
  if (n) device.write(t.buffer, host);
  return t;
}

/**
 * Uploads 16-bit patterns as they are (f16 or bf16, e.g. a checkpoint's raw tensor): no conversion, so
 * a weight read from a file reaches the GPU bit for bit, at half the bytes of f32.
 */
export function tensorFromBits(device: Device, bits: Uint16Array, shape: Shape, dtype: Packed16): Tensor {
  const n = numel(shape);
  if (bits.length !== n) throw new ShapeError('tensorFromBits', `${bits.length} values do not fill shape ${fmtShape(shape)} (${n} elements)`);
  if (dtype !== 'f16' && dtype !== 'bf16') throw new DTypeError('tensorFromBits', `dtype must be f16 or bf16, not ${String(dtype)}`);
  const t = Tensor.empty(device, shape, dtype);
  try {
    if (n) device.write(t.buffer, bits);
  } catch (err) {
    t.dispose();
    throw err;
  }
  return t;
}

/** A tensor with every element equal to `value` (f32). */
export function full(device: Device, shape: Shape, value: number): Tensor {
  const t = Tensor.empty(device, shape);
  FILL().launch(device, { outputs: [t.buffer], count: t.numel, params: { value } });
  return t;
}

export const zeros = (device: Device, shape: Shape) => full(device, shape, 0);
export const ones = (device: Device, shape: Shape) => full(device, shape, 1);

/**
 * Standard normal values from a seed. They are drawn on the CPU (random.ts) and uploaded, so a seed
 * gives bit-identical tensors in Node and in every browser, whatever the GPU.
 */
export function randn(device: Device, shape: Shape, seed: number): Tensor {
  return tensor(device, normalValues(seed, numel(shape)), shape);
}

/** Uniform values in [0, 1) from a seed (same values everywhere, as randn). */
export function rand(device: Device, shape: Shape, seed: number): Tensor {
  return tensor(device, uniformValues(seed, numel(shape)), shape);
}
