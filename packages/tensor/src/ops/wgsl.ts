// Small helpers shared by the kernel generators: exact float literals, dtype checks with op-named
// errors, memoised generators, and the loads that widen packed 16-bit values (f16, bf16) to f32.
// Bindings, entry points and grids are written by kernel.ts.

import type { Tensor } from '../tensor.js';
import type { Device } from '../device/device.js';
import { DTypeError, DeviceMismatchError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { type DType, type Packed16, isPacked16 } from '../dtype.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** A WGSL expression that is exactly the float32 nearest to x (decimal printing can round differently). */
export function f32Lit(x: number): string {
  f32[0] = x;
  if (Number.isFinite(f32[0]) && f32[0] === Math.fround(x) && Number.isInteger(f32[0]) && Math.abs(f32[0]) < 2 ** 24) return `${f32[0]}.0`;
  return `bitcast<f32>(0x${u32[0].toString(16)}u)`;
}

export function requireDtype(op: string, t: Tensor, ...allowed: DType[]): void {
  if (!allowed.includes(t.dtype))
    throw new DTypeError(
      op,
      `expects ${allowed.join(' or ')}, got ${t.dtype} tensor ${fmtShape(t.shape)}${isPacked16(t.dtype) ? '; cast it to f32 first' : ''}`,
    );
}

/** The WGSL element type a layout op moves `t` (of `dtype`) as: any 32-bit dtype; packed 16-bit ones are refused. */
export function elementType(dtype: DType, op: string, t: Tensor): string {
  if (isPacked16(dtype)) throw new DTypeError(op, `${dtype} tensor ${fmtShape(t.shape)}: cast it to f32 first`);
  return dtype;
}

export function sameDevice(op: string, ...ts: Tensor[]): Device {
  const d = ts[0].device;
  for (const t of ts) if (t.device !== d) throw new DeviceMismatchError(op, 'operands live on different devices');
  return d;
}

const generated = new Map<string, unknown>();
/**
 * Memoises a kernel generator by a short key. Generating a long WGSL string per call (and hashing it
 * anew for the pipeline cache) is most of the host cost of a small op; the same string object hashes
 * once. Pure values only; bounded (cleared past 1,024 entries).
 */
export function memo<T>(key: string, make: () => T): T {
  let v = generated.get(key) as T | undefined;
  if (v === undefined) {
    if (generated.size >= 1024) generated.clear();
    generated.set(key, (v = make()));
  }
  return v;
}

/** vec2<f32> of the two halves of a u32 word `w` (low half first). Exact: bf16 is the top of an f32. */
export function widen2(dtype: Packed16, w: string): string {
  return dtype === 'f16' ? `unpack2x16float(${w})` : `bitcast<vec2<f32>>(vec2<u32>(${w} << 16u, ${w} & 0xffff0000u))`;
}

/**
 * A WGSL function `fname(i)` over the packed operand `arr`: with vec4 false, element i of an array<u32>
 * (word i >> 1, half i & 1); with vec4 true, elements 4i..4i+3 of an array<vec2<u32>> — one 8-byte
 * load where f32 loads 16 bytes, so a kernel keeps its f32 load pattern and indices.
 */
export function packedLoader(fname: string, arr: string, dtype: Packed16, vec4: boolean): string {
  if (vec4) return `fn ${fname}(i: u32) -> vec4<f32> {\n  let w = ${arr}[i];\n  return vec4<f32>(${widen2(dtype, 'w.x')}, ${widen2(dtype, 'w.y')});\n}`;
  const half = dtype === 'f16' ? 'unpack2x16float(w)[i & 1u]' : 'bitcast<f32>((w >> ((i & 1u) * 16u)) << 16u)';
  return `fn ${fname}(i: u32) -> f32 {\n  let w = ${arr}[i >> 1u];\n  return ${half};\n}`;
}
