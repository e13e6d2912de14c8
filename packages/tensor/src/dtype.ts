// Element types a tensor may hold on the GPU, and their storage sizes.
// f16 is always stored packed two to a 32-bit word and widened in-shader with unpack2x16float, so it
// works on every adapter (shader-f16 is not needed to store or read it). Arithmetic runs in f32.

export type DType = 'f32' | 'f16' | 'i32' | 'u32';

export const DTYPE_BYTES: Record<DType, number> = { f32: 4, f16: 2, i32: 4, u32: 4 };

/** Bytes a tensor of `numel` elements needs on the GPU (rounded up to whole 4-byte words). */
export function storageBytes(dtype: DType, numel: number): number {
  return Math.ceil((numel * DTYPE_BYTES[dtype]) / 4) * 4;
}

export type HostArray = Float32Array | Int32Array | Uint32Array | Uint16Array;

/** The host array type a download of `dtype` returns (f16 arrives widened to Float32Array). */
export function hostArrayFor(dtype: DType, buf: ArrayBuffer, numel: number): HostArray {
  switch (dtype) {
    case 'f32':
      return new Float32Array(buf, 0, numel);
    case 'i32':
      return new Int32Array(buf, 0, numel);
    case 'u32':
      return new Uint32Array(buf, 0, numel);
    case 'f16':
      return new Uint16Array(buf, 0, numel);
  }
}
