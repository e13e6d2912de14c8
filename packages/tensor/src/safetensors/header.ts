// Parsing and validating a safetensors header: the 8-byte length, the JSON, every entry's dtype, shape
// and byte range. Each problem is one SafetensorsError naming the file (and the tensor where there is one).
// Leaves out reading bytes (reader.ts) and writing (writer.ts). F32, F16, BF16 and the integer I32 and I64 are accepted.

import { SafetensorsError } from '../errors.js';
import { fmtShape } from '../shape.js';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';

/** Bytes per element of each dtype cleardit reads and writes. */
export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<SafetensorsDType, number>> = Object.freeze({ F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 });

export const SAFETENSORS_DTYPES: readonly SafetensorsDType[] = Object.freeze(['F32', 'F16', 'BF16', 'I32', 'I64'] as SafetensorsDType[]);

/** Above this the length prefix is garbage (the reference implementation uses the same 100 MB cap). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Absolute file offsets, end exclusive. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** In file order (by offset, then name). */
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute offset of the data region: 8 + header length. */
  readonly dataStart: number;
}

const isDType = (s: string): s is SafetensorsDType => (SAFETENSORS_DTYPES as readonly string[]).includes(s);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return Array.isArray(v) ? 'a deeply nested array' : typeof v; // String() of a deep value overflows too
  }
};

/**
 * Checks the length prefix against the file size before anyone reads that many bytes, and returns it
 * as a number. A prefix that is absurd usually means "not a safetensors file"; one past the end, a truncated file.
 */
export function checkHeaderLength(name: string, fileSize: number, headerLen: bigint | number): number {
  if (fileSize < 8) throw new SafetensorsError(name, `file is truncated: ${fileSize} bytes, shorter than the 8-byte header length`);
  const len = BigInt(headerLen);
  if (len > BigInt(SAFETENSORS_MAX_HEADER_BYTES))
    throw new SafetensorsError(name, `header length ${len} is absurd (over ${SAFETENSORS_MAX_HEADER_BYTES} bytes); not a safetensors file?`);
  if (len < 2n) throw new SafetensorsError(name, `header length ${len} is too short to hold a JSON object`);
  if (len > BigInt(fileSize - 8)) throw new SafetensorsError(name, `header length ${len} runs past the end of the file (${fileSize} bytes): file truncated?`);
  return Number(len);
}

/** Decodes and validates the header. `headerBytes` are the `headerLen` bytes after the length prefix. */
export function parseHeader(name: string, fileSize: number, headerLen: bigint | number, headerBytes: Uint8Array): SafetensorsHeader {
  try {
    return parseHeaderUnguarded(name, fileSize, headerLen, headerBytes);
  } catch (e) {
    // JSON nested thousands deep overflows the stack somewhere in the checks: say so, with the file
    if (e instanceof RangeError) throw new SafetensorsError(name, `header is nested too deeply to read (${e.message})`);
    throw e;
  }
}

function parseHeaderUnguarded(name: string, fileSize: number, headerLen: bigint | number, headerBytes: Uint8Array): SafetensorsHeader {
  const len = checkHeaderLength(name, fileSize, headerLen);
  if (headerBytes.length !== len) throw new SafetensorsError(name, `header should be ${len} bytes but ${headerBytes.length} were read`);
  const dataStart = 8 + len;
  const dataBytes = fileSize - dataStart;

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(name, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(name, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(json)) throw new SafetensorsError(name, `header is not a JSON object (found ${Array.isArray(json) ? 'an array' : show(json)})`);

  const metadata: Record<string, string> = {};
  const list: [string, SafetensorsEntry][] = [];
  for (const [key, value] of Object.entries(json)) {
    if (key === '__metadata__') {
      // null is what serde writes for "no metadata"; accept it as empty.
      if (value === null) continue;
      if (!isObject(value)) throw new SafetensorsError(name, `__metadata__ is not an object of strings (found ${show(value)})`);
      for (const [mk, mv] of Object.entries(value)) {
        if (typeof mv !== 'string') throw new SafetensorsError(name, `__metadata__ '${mk}' is ${show(mv)}, not a string`);
        metadata[mk] = mv;
      }
      continue;
    }
    list.push([key, parseEntry(name, key, value, dataStart, dataBytes)]);
  }

  list.sort(([ka, a], [kb, b]) => a.begin - b.begin || a.end - b.end || (ka < kb ? -1 : ka > kb ? 1 : 0));
  // Sorted by begin, a tensor overlaps an earlier one exactly when it starts before the furthest end so far.
  // Empty tensors occupy no bytes and overlap nothing.
  let last: [string, SafetensorsEntry] | null = null;
  for (const cur of list) {
    if (cur[1].begin === cur[1].end) continue;
    if (last && cur[1].begin < last[1].end) {
      const [a, b] = [last, cur];
      const rel = (e: SafetensorsEntry) => `[${e.begin - dataStart},${e.end - dataStart}]`;
      throw new SafetensorsError(name, `tensors '${a[0]}' ${rel(a[1])} and '${b[0]}' ${rel(b[1])} overlap (data_offsets)`);
    }
    if (!last || cur[1].end > last[1].end) last = cur;
  }

  return { entries: new Map(list), metadata: Object.freeze(metadata), dataStart };
}

function parseEntry(name: string, key: string, value: unknown, dataStart: number, dataBytes: number): SafetensorsEntry {
  const t = `tensor '${key}'`;
  if (!isObject(value)) throw new SafetensorsError(name, `${t}: entry is ${show(value)}, not an object with dtype, shape and data_offsets`);
  for (const field of ['dtype', 'shape', 'data_offsets']) if (!(field in value)) throw new SafetensorsError(name, `${t} has no ${field}`);

  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw new SafetensorsError(name, `${t} has dtype ${show(dtype)}, not a string`);
  if (!isDType(dtype)) throw new SafetensorsError(name, `${t} has dtype ${dtype}; cleardit reads ${SAFETENSORS_DTYPES.join(', ')}`);

  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
    throw new SafetensorsError(name, `${t} has shape ${show(shape)}; a shape must be an array of non-negative integers`);

  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1])
    throw new SafetensorsError(name, `${t} has data_offsets ${show(offsets)}; expected [begin, end] with 0 <= begin <= end`);
  const [begin, end] = offsets as [number, number];

  // BigInt: a large enough shape overflows a double's exact range before it could fail the comparison honestly.
  const need = shape.reduce((n: bigint, d: number) => n * BigInt(d), 1n) * BigInt(SAFETENSORS_DTYPE_BYTES[dtype]);
  if (need !== BigInt(end - begin))
    throw new SafetensorsError(name, `${t}: shape ${fmtShape(shape)} × ${dtype} needs ${need} bytes but data_offsets span ${end - begin}`);
  if (end > dataBytes)
    throw new SafetensorsError(
      name,
      `${t}: data_offsets [${begin},${end}] run past the end of the file (the data region holds ${dataBytes} bytes): file truncated?`,
    );

  return Object.freeze({ dtype, shape: Object.freeze([...shape]), begin: dataStart + begin, end: dataStart + end });
}
