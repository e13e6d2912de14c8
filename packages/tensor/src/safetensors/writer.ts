// Encoding safetensors files: the header (8-byte length + JSON padded with spaces to a multiple of 8),
// then every tensor's bytes back to back in sorted name order, as a chunk stream or one Uint8Array.
// Leaves out the file system (../node/files.ts writes atomically). Little-endian host assumed, as in reader.ts.
// No padding between tensors: safetensors readers refuse gaps, so an F32 after an odd-length F16 is unaligned
// (the reader copies such ranges).

import { SafetensorsError } from '../errors.js';
import { floatsToBf16s, floatsToHalves } from '../half.js';
import { fmtShape, numel } from '../shape.js';
import { SAFETENSORS_DTYPE_BYTES, SAFETENSORS_DTYPES, type SafetensorsDType } from './header.js';

/**
 * One tensor to write. For F16/BF16 a Uint16Array is taken as the raw 16-bit patterns; a Float32Array or
 * number[] is rounded (to nearest even). For F32 data must be a Float32Array or number[]. I32 and I64
 * take integers (an Int32Array, a BigInt64Array for I64, or number[]).
 */
export interface TensorToWrite {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: Float32Array | Uint16Array | Int32Array | BigInt64Array | readonly number[];
}

export interface LayoutEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Offsets relative to the data region, end exclusive (the header's data_offsets). */
  begin: number;
  end: number;
}

export interface BuiltHeader {
  /** The 8-byte little-endian length followed by the padded JSON: everything before the data region. */
  bytes: Uint8Array<ArrayBuffer>;
  layout: LayoutEntry[];
  /** bytes.length + the data region's length. */
  totalBytes: number;
}

const DEFAULT_NAME = '<safetensors output>';

/** Validates the tensors and lays them out. `file` names the output in error messages. */
export function buildHeader(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>, file = DEFAULT_NAME): BuiltHeader {
  const names = Object.keys(tensors).sort();
  const layout: LayoutEntry[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const what = `tensor '${name}'`;
    if (name === '__metadata__') throw new SafetensorsError(file, `'__metadata__' is reserved and cannot name a tensor`);
    if (!t || typeof t !== 'object') throw new SafetensorsError(file, `${what} is not a {dtype, shape, data} object`);
    if (!(SAFETENSORS_DTYPES as readonly string[]).includes(t.dtype))
      throw new SafetensorsError(file, `${what} has dtype ${String(t.dtype)}; cleardit writes ${SAFETENSORS_DTYPES.join(', ')}`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new SafetensorsError(file, `${what} has shape ${JSON.stringify(t.shape)}; a shape must be an array of non-negative integers`);
    if (t.dtype === 'F32' && t.data instanceof Uint16Array)
      throw new SafetensorsError(file, `${what} is F32 but its data is a Uint16Array (16-bit patterns); pass a Float32Array`);
    if (
      (t.dtype === 'I32' || t.dtype === 'I64') &&
      !(t.data instanceof Int32Array || t.data instanceof BigInt64Array || (Array.isArray(t.data) && t.data.every(Number.isSafeInteger)))
    )
      throw new SafetensorsError(file, `${what} is ${t.dtype}: its data must be integers (an Int32Array, a BigInt64Array or integer numbers)`);
    if (t.dtype !== 'I64' && t.data instanceof BigInt64Array)
      throw new SafetensorsError(file, `${what} is ${t.dtype} but its data is a BigInt64Array; pass it as I64`);
    const n = numel(t.shape);
    if (!t.data || t.data.length !== n)
      throw new SafetensorsError(file, `${what} has ${t.data?.length ?? 'no'} values but shape ${fmtShape(t.shape)} needs ${n}`);
    const size = n * SAFETENSORS_DTYPE_BYTES[t.dtype];
    layout.push({ name, dtype: t.dtype, shape: [...t.shape], begin: offset, end: offset + size });
    offset += size;
  }

  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata))
      if (typeof v !== 'string') throw new SafetensorsError(file, `__metadata__ '${k}' is ${typeof v}, not a string`);
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  // Built by hand: JSON.stringify on an object would move integer-like names ("0", "10") to the front.
  for (const e of layout) parts.push(`${JSON.stringify(e.name)}:${JSON.stringify({ dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] })}`);
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, layout, totalBytes: bytes.length + offset };
}

/**
 * The file as a stream of chunks: the header, then one chunk per tensor (converted when needed, else a
 * view of the caller's array). Everything is validated before the first chunk, so a bad tensor never
 * leaves half a file.
 */
export async function* safetensorsChunks(
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
  file = DEFAULT_NAME,
): AsyncGenerator<Uint8Array, void, undefined> {
  const { bytes, layout } = buildHeader(tensors, metadata, file);
  yield bytes;
  for (const e of layout) if (e.end > e.begin) yield tensorBytes(tensors[e.name]);
}

/** The whole file in one Uint8Array (small files, browsers). */
export function encodeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>, file = DEFAULT_NAME): Uint8Array<ArrayBuffer> {
  const { bytes, layout, totalBytes } = buildHeader(tensors, metadata, file);
  const out = new Uint8Array(totalBytes);
  out.set(bytes);
  for (const e of layout) out.set(tensorBytes(tensors[e.name]), bytes.length + e.begin);
  return out;
}

function tensorBytes(t: TensorToWrite): Uint8Array {
  let arr: Float32Array | Uint16Array | Int32Array | BigInt64Array;
  const d = t.data;
  if (t.dtype === 'I64') arr = d instanceof BigInt64Array ? d : BigInt64Array.from(d as ArrayLike<number>, (v) => BigInt(v));
  else if (d instanceof BigInt64Array) throw new TypeError('unreachable: checked in buildHeader');
  else if (t.dtype === 'I32') arr = d instanceof Int32Array ? d : Int32Array.from(d);
  else if (t.dtype === 'F32') arr = d instanceof Float32Array ? d : Float32Array.from(d);
  else if (d instanceof Uint16Array) arr = d;
  else arr = t.dtype === 'F16' ? floatsToHalves(d) : floatsToBf16s(d);
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}
