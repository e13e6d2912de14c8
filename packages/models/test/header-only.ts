// Test helper (also used by the CLI tests): a safetensors header for tensors whose data is never
// written; the caller extends the file sparsely, so a 24 GB checkpoint costs no disk.
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from '@cleardit/tensor';

export function headerOnly(tensors: Record<string, { dtype: SafetensorsDType; shape: number[] }>): { bytes: Uint8Array; dataBytes: number } {
  let at = 0;
  const entries = Object.keys(tensors)
    .sort()
    .map((k) => {
      const t = tensors[k];
      const n = t.shape.reduce((a, b) => a * b, 1) * SAFETENSORS_DTYPE_BYTES[t.dtype];
      const e = `${JSON.stringify(k)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${at},${at + n}]}`;
      at += n;
      return e;
    });
  let json = `{${entries.join(',')}}`;
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const bytes = new Uint8Array(8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(new TextEncoder().encode(json), 8);
  return { bytes, dataBytes: at };
}
