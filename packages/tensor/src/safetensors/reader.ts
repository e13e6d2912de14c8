// Reading safetensors files tensor by tensor: open() reads and validates only the header; each read then
// fetches just that tensor's byte range from the ByteSource, so a file larger than memory can be used.
// Leaves out writing (writer.ts) and the Node file source (../node/files.ts). Assumes a little-endian
// host (every WebGPU platform in practice): tensor bytes become typed arrays without swapping.

import type { Device } from '../device/device.js';
import { SafetensorsError } from '../errors.js';
import { bf16sToFloats, floatsToHalves, halvesToFloats } from '../half.js';
import { tensor } from '../create.js';
import { Tensor } from '../tensor.js';
import { parseHeader, checkHeaderLength, SAFETENSORS_DTYPE_BYTES, type SafetensorsDType, type SafetensorsEntry, type SafetensorsHeader } from './header.js';
import type { ByteSource } from './source.js';

export interface SafetensorsInfo {
  dtype: SafetensorsDType;
  shape: number[];
  byteLength: number;
}

/** Raw values: F32 as Float32Array, F16 and BF16 as their 16-bit patterns in a Uint16Array, I32 as Int32Array, I64 as BigInt64Array. */
export interface StoredTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: Float32Array | Uint16Array | Int32Array | BigInt64Array;
}

export interface ToDeviceOptions {
  /** 'f32' (default) widens F16/BF16 on the CPU; 'f16' keeps F16 as stored and rounds BF16/F32 to f16. */
  dtype?: 'f32' | 'f16';
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export class SafetensorsReader {
  readonly metadata: Readonly<Record<string, string>>;
  private closed = false;

  private constructor(
    private readonly source: ByteSource,
    private readonly header: SafetensorsHeader,
  ) {
    this.metadata = header.metadata;
  }

  /** Reads and validates the header. The reader owns the source: close() closes it, and so does a failed open. */
  static async open(source: ByteSource): Promise<SafetensorsReader> {
    try {
      if (!littleEndian) throw new SafetensorsError(source.name, 'cleardit reads safetensors only on little-endian hosts');
      // Under 8 bytes there is no prefix to read; checkHeaderLength reports the truncation.
      const prefix = source.size >= 8 ? await readExact(source, 0, 8) : null;
      const len = prefix ? new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true) : 0n;
      const n = checkHeaderLength(source.name, source.size, len);
      const header = parseHeader(source.name, source.size, n, await readExact(source, 8, n));
      return new SafetensorsReader(source, header);
    } catch (e) {
      await source.close?.().catch(() => {});
      throw e;
    }
  }

  get name(): string {
    return this.source.name;
  }

  /** Tensor names in file order (by data offset). */
  keys(): string[] {
    return [...this.header.entries.keys()];
  }

  has(key: string): boolean {
    return this.header.entries.has(key);
  }

  info(key: string): SafetensorsInfo {
    const e = this.entry(key);
    return { dtype: e.dtype, shape: [...e.shape], byteLength: e.end - e.begin };
  }

  /** The stored values without conversion, in an array that owns its buffer. */
  async readHost(key: string): Promise<StoredTensor> {
    const e = this.entry(key);
    if (this.closed) throw new SafetensorsError(this.name, `cannot read '${key}': the reader is closed`);
    let bytes = await readExact(this.source, e.begin, e.end - e.begin);
    // Typed arrays need an aligned offset, and a view into the source's buffer would let callers mutate
    // it; a fresh copy at offset 0 solves both. Sources that already return an exact buffer cost nothing.
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
    const count = bytes.byteLength / SAFETENSORS_DTYPE_BYTES[e.dtype];
    const view = { F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, I32: Int32Array, I64: BigInt64Array }[e.dtype];
    return { dtype: e.dtype, shape: [...e.shape], data: new view(bytes.buffer as ArrayBuffer, 0, count) };
  }

  /** The values widened to f32 (F16 and BF16 are exact in f32; integers are exact up to 2²⁴). */
  async readF32(key: string): Promise<Float32Array> {
    return storedToFloats(await this.readHost(key));
  }

  /** An integer tensor (I32, or I64 whose values fit 32 bits) as an Int32Array: token ids, positions. */
  async readInt32(key: string): Promise<Int32Array> {
    const h = await this.readHost(key);
    if (h.dtype === 'I32') return h.data as Int32Array;
    if (h.dtype !== 'I64') throw new SafetensorsError(this.name, `tensor '${key}' is ${h.dtype}, not an integer tensor (I32 or I64)`);
    const wide = h.data as BigInt64Array;
    const out = new Int32Array(wide.length);
    for (let i = 0; i < wide.length; i++) {
      if (wide[i] > 2147483647n || wide[i] < -2147483648n)
        throw new SafetensorsError(this.name, `tensor '${key}' (I64) holds ${wide[i]} at index ${i}, beyond 32 bits`);
      out[i] = Number(wide[i]);
    }
    return out;
  }

  /**
   * Uploads one tensor. F32 becomes an f32 tensor; F16/BF16 become f32 widened on the CPU, unless
   * opts.dtype is 'f16': then F16 is uploaded bit for bit, and BF16/F32 are rounded to f16 through
   * f32 (BF16's range is wider than f16's: large values become infinity).
   */
  async toDevice(device: Device, key: string, opts: ToDeviceOptions = {}): Promise<Tensor> {
    const want = opts.dtype ?? 'f32';
    if (want !== 'f32' && want !== 'f16') throw new TypeError(`toDevice: dtype must be 'f32' or 'f16', not ${String(want)}`);
    if (want === 'f32') return tensor(device, await this.readF32(key), this.entry(key).shape, 'f32');
    const host = await this.readHost(key);
    const bits = host.dtype === 'F16' ? (host.data as Uint16Array) : floatsToHalves(storedToFloats(host));
    const t = Tensor.empty(device, host.shape, 'f16');
    try {
      if (bits.length) device.write(t.buffer, bits);
    } catch (err) {
      t.dispose();
      throw err;
    }
    return t;
  }

  /** Closes the source. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close?.();
  }

  private entry(key: string): SafetensorsEntry {
    const e = this.header.entries.get(key);
    if (e) return e;
    const close = closeMatches(key, this.keys());
    const hint = close.length ? `; did you mean ${close.map((k) => `'${k}'`).join(', ')}?` : ` (it holds ${this.header.entries.size} tensors)`;
    throw new SafetensorsError(this.name, `no tensor '${key}'${hint}`);
  }
}

/** Stored values as float32: F16/BF16 widened exactly, integers converted (exact up to 2²⁴). */
export function storedToFloats(h: StoredTensor): Float32Array {
  switch (h.dtype) {
    case 'F32':
      return h.data as Float32Array;
    case 'F16':
      return halvesToFloats(h.data as Uint16Array);
    case 'BF16':
      return bf16sToFloats(h.data as Uint16Array);
    case 'I32':
      return Float32Array.from(h.data as Int32Array);
    case 'I64':
      return Float32Array.from(h.data as BigInt64Array, Number);
  }
}

async function readExact(source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  const bytes = await source.read(offset, length);
  if (bytes.length !== length)
    throw new SafetensorsError(
      source.name,
      `short read at byte ${offset}: wanted ${length} bytes, got ${bytes.length} (file truncated or changed since it was opened?)`,
    );
  return bytes;
}

/** Up to three names that are a small edit away, or that contain / are contained in the asked name (prefix mix-ups). */
function closeMatches(key: string, keys: string[]): string[] {
  const limit = Math.max(2, Math.floor(key.length / 4));
  const scored: [number, string][] = [];
  for (const k of keys) {
    const d = k.includes(key) || key.includes(k) ? Math.abs(k.length - key.length) / 100 : editDistance(key, k, limit);
    if (d <= limit) scored.push([d, k]);
  }
  return scored
    .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1))
    .slice(0, 3)
    .map(([, k]) => k);
}

/** Levenshtein distance, giving up (returning limit + 1) once every path exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length];
}
