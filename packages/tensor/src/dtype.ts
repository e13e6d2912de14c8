// Element types a tensor may hold on the GPU, and their storage sizes.
// f16 and bf16 are always stored packed two to a 32-bit word (element 2i in the low half) and widened
// in-shader (f16 with unpack2x16float, bf16 by a shift into the high half of an f32), so they work on
// every adapter: shader-f16 is not needed to store or read them. Arithmetic runs in f32.

export type DType = 'f32' | 'f16' | 'bf16' | 'i32' | 'u32';

export const DTYPE_BYTES: Record<DType, number> = { f32: 4, f16: 2, bf16: 2, i32: 4, u32: 4 };

/** The 16-bit float types, stored packed two per u32 word. */
export type Packed16 = 'f16' | 'bf16';

export function isPacked16(dtype: DType): dtype is Packed16 {
  return dtype === 'f16' || dtype === 'bf16';
}

/** Bytes a tensor of `numel` elements needs on the GPU (rounded up to whole 4-byte words). */
export function storageBytes(dtype: DType, numel: number): number {
  return Math.ceil((numel * DTYPE_BYTES[dtype]) / 4) * 4;
}

export type HostArray = Float32Array | Int32Array | Uint32Array | Uint16Array;

/** The host array a download of `dtype` is viewed as (16-bit bits as Uint16Array; Tensor.toArray widens them). */
export function hostArrayFor(dtype: DType, buf: ArrayBuffer, numel: number): HostArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(buf, 0, numel);
    case 'i32':
      return new Int32Array(buf, 0, numel);
    case 'u32':
      return new Uint32Array(buf, 0, numel);
    case 'f16':
    case 'bf16':
      return new Uint16Array(buf, 0, numel);
  }
}
