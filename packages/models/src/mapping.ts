// Checkpoint key mapping: how each canonical parameter is assembled from a file's tensors.
// A part list concatenates along dim 0 (fused qkv from to_q/to_k/to_v); swapHalves exchanges the two
// halves of dim 0 (diffusers' final (scale, shift) vs BFL's (shift, scale)); rows slices one part
// (DiT's fused qkv into diffusers' to_q/to_k/to_v). A part whose shape differs from the canonical one
// only by size-1 axes (LDM 1×1 conv attention weights [C, C, 1, 1] as Linear [C, C]) loads as it is.
export interface KeySource {
  parts: string[];
  swapHalves?: boolean;
  /** Take rows [start, end) of dim 0 of the (single) part: to_q from a fused qkv. */
  rows?: [number, number];
  /** Rows of the part, needed with `rows`. */
  totalRows?: number;
  /** Other names the same tensor may have (older diffusers: query/key/value/proj_attn). */
  alternatives?: string[];
}

export type KeyMap = Map<string, KeySource>;

export function identityMap(keys: Iterable<string>): KeyMap {
  const m: KeyMap = new Map();
  for (const k of keys) m.set(k, { parts: [k] });
  return m;
}

/**
 * Assembles one canonical tensor on the host from its parts (row-major, so concat on dim 0 is appending).
 * Float32 values, or 16-bit patterns for weights kept in f16/bf16 (every part of one type).
 */
export function assemble<T extends Float32Array | Uint16Array>(src: KeySource, parts: T[]): T {
  const alloc = (n: number) => (parts[0] instanceof Uint16Array ? new Uint16Array(n) : new Float32Array(n)) as T;
  let data: T;
  if (parts.length === 1) data = parts[0];
  else {
    data = alloc(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
  }
  if (src.rows) {
    const [a, b] = src.rows;
    const total = src.totalRows ?? 0;
    const per = data.length / total;
    data = data.slice(a * per, b * per) as T;
  }
  if (src.swapHalves) {
    const half = data.length / 2;
    const out = alloc(data.length);
    out.set(data.subarray(half), 0);
    out.set(data.subarray(0, half), half);
    data = out;
  }
  return data;
}
