// Elementwise kernels: unary maps, binary ops with numpy broadcasting, casts, copies.
// They sit below the tape (autograd/tape.ts), which sums gradients with them; their differentiable
// wrappers are autograd/elementwise.ts. (powScalar, addScalar, mulScalar and addMul, which the tape does
// not need, are op files of their own: pow-scalar.ts, scalar-ops.ts, add-mul.ts.)
// One thread per output element. Counts and scalars are kernel parameters (kernel.ts), so a map or a
// same-shape binary op compiles once for every size and value; broadcasting bakes its index arithmetic.
// Reference: elementwise.ref.ts.

import { Tensor } from '../tensor.js';
import { broadcastShapes, sameShape } from '../shape.js';
import { memo, packedLoader, requireDtype, sameDevice } from './wgsl.js';
import { broadcastIndex } from './elementwise-wgsl.js';
import { mapKernel } from './map-kernel.js';
import { defineKernel } from './kernel.js';
import { DTypeError } from '../errors.js';
import { type DType, isPacked16 } from '../dtype.js';
import { UNARY_OPS, type UnaryOp } from './unary-ops.js';
import { BINARY_OPS, type BinaryOp } from './binary-ops.js';

export type { UnaryOp } from './unary-ops.js';
export type { BinaryOp } from './binary-ops.js';

export function unary(op: UnaryOp, a: Tensor): Tensor {
  return mapKernel(op, a, UNARY_OPS[op].wgsl);
}

// Named shorthands of the raw kernels (`raw.silu`), the same names as the recording ops in autograd/elementwise.ts.
export const neg = (a: Tensor) => unary('neg', a);
export const exp = (a: Tensor) => unary('exp', a);
export const log = (a: Tensor) => unary('log', a);
export const sqrt = (a: Tensor) => unary('sqrt', a);
export const rsqrt = (a: Tensor) => unary('rsqrt', a);
export const tanh = (a: Tensor) => unary('tanh', a);
export const sin = (a: Tensor) => unary('sin', a);
export const cos = (a: Tensor) => unary('cos', a);
export const abs = (a: Tensor) => unary('abs', a);
export const silu = (a: Tensor) => unary('silu', a);
export const sigmoid = (a: Tensor) => unary('sigmoid', a);
export const square = (a: Tensor) => unary('square', a);
export const geluTanh = (a: Tensor) => unary('gelu_tanh', a);
export const geluErf = (a: Tensor) => unary('gelu_erf', a);
export const softplus = (a: Tensor) => unary('softplus', a);

export function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const device = sameDevice(op, a, b);
  requireDtype(op, a, 'f32');
  requireDtype(op, b, 'f32');
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = Tensor.empty(device, shape);
  // Same-shape operands make one kernel for every size; broadcasting bakes its index arithmetic.
  const same = sameShape(a.shape, shape) && sameShape(b.shape, shape);
  const k = memo(`binary:${op}:${same ? '' : `${a.shape}|${b.shape}|${shape}`}`, () =>
    defineKernel({
      name: op,
      inputs: { A: 'f32', B: 'f32' },
      outputs: { O: 'f32' },
      each: 'thread',
      body: `  ${broadcastIndex('ia', a.shape, shape)}
  ${broadcastIndex('ib', b.shape, shape)}
  let a = A[ia];
  let b = B[ib];
  O[i] = ${BINARY_OPS[op].wgsl};`,
    }),
  );
  k.launch(device, { inputs: [a.buffer, b.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

export const add = (a: Tensor, b: Tensor) => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor) => binary('div', a, b);
export const maximum = (a: Tensor, b: Tensor) => binary('maximum', a, b);
export const minimum = (a: Tensor, b: Tensor) => binary('minimum', a, b);

/**
 * Converts between f32, f16 and bf16 (packed storage), i32 and u32. Float → int truncates toward zero;
 * f32 → f16/bf16 rounds to nearest even (as the host's floatsToHalves/floatsToBf16s). A 16-bit source
 * converts only to f32.
 */
export function cast(a: Tensor, dtype: DType): Tensor {
  const device = a.device;
  if (a.dtype === dtype) return copy(a);
  if (isPacked16(a.dtype) && dtype !== 'f32') throw new DTypeError('cast', `${a.dtype} → ${dtype} is not supported; cast to f32 first`);
  if (isPacked16(dtype)) requireDtype('cast', a, 'f32');
  const out = Tensor.empty(device, a.shape, dtype);
  if (isPacked16(dtype)) {
    // bf16: add 0x7fff plus the kept lsb, then truncate (ties to even); NaN keeps a quiet mantissa bit.
    const pack = dtype === 'f16' ? 'pack2x16float(vec2<f32>(lo, hi))' : 'to_bf16(bitcast<u32>(lo)) | (to_bf16(bitcast<u32>(hi)) << 16u)';
    const k = memo(`cast:f32>${dtype}`, () =>
      defineKernel({
        name: `cast_${dtype}`,
        inputs: { A: 'f32' },
        outputs: { O: 'u32' },
        params: { n: 'u32' },
        prelude:
          dtype === 'bf16'
            ? `fn to_bf16(b: u32) -> u32 {
  return select((b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u, (b >> 16u) | 0x40u, (b & 0x7fffffffu) > 0x7f800000u);
}`
            : undefined,
        each: 'thread',
        body: `  let lo = A[2u * i];
  let hi = select(0.0, A[min(2u * i + 1u, P.n - 1u)], 2u * i + 1u < P.n);
  O[i] = ${pack};`,
      }),
    );
    k.launch(device, { inputs: [a.buffer], outputs: [out.buffer], count: Math.ceil(a.numel / 2), params: { n: a.numel } });
    return out;
  }
  const src = isPacked16(a.dtype) ? 'u32' : a.dtype;
  const k = memo(`cast:${a.dtype}>${dtype}`, () =>
    defineKernel({
      name: `cast_${dtype}`,
      inputs: { A: src },
      outputs: { O: dtype },
      prelude: isPacked16(a.dtype) ? packedLoader('ld', 'A', a.dtype, false) : undefined,
      each: 'thread',
      body: `  O[i] = ${dtype}(${isPacked16(a.dtype) ? 'ld(i)' : 'A[i]'});`,
    }),
  );
  k.launch(device, { inputs: [a.buffer], outputs: [out.buffer], count: a.numel });
  return out;
}

/** A contiguous copy in a new buffer (same shape and dtype). */
export function copy(a: Tensor): Tensor {
  const out = Tensor.empty(a.device, a.shape, a.dtype);
  if (a.byteSize) a.device.copy(a.buffer, 0, out.buffer, 0, a.byteSize);
  return out;
}
