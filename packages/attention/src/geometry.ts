// The geometry of one attention call: T text tokens first, then an h×w image grid in row-major order,
// then (down factor d > 1) N/d² pooled tokens, the d×d cells in row-major order (keys only).
import { InputError } from '@cleardit/tensor';

export interface ClearGeometry {
  /** Image grid rows (tokens). */
  height: number;
  /** Image grid columns (tokens). */
  width: number;
  /** Text tokens before the image tokens; whatever the caller passes, 0 included. */
  textLength: number;
  /** Image keys (Δy)² + (Δx)² < r² are visible to an image query. */
  radius: number;
  /** Pool d×d cells into extra global keys (1 = none). h and w must be multiples of d. */
  downFactor?: number;
}

/** A CLEAR geometry (grid, radius, text length, down factor) that cannot be planned. */
export class GeometryError extends InputError {
  override name = 'GeometryError';
}

export interface Counts {
  T: number;
  N: number;
  /** Pooled keys (0 when d = 1). */
  P: number;
  /** Query length T + N. */
  L: number;
  /** Key length T + N + P. */
  Lk: number;
  d: number;
}

export function counts(g: ClearGeometry): Counts {
  const d = g.downFactor ?? 1;
  const N = g.height * g.width;
  const P = d > 1 ? N / (d * d) : 0;
  return { T: g.textLength, N, P, L: g.textLength + N, Lk: g.textLength + N + P, d };
}

export function checkGeometry(g: ClearGeometry): void {
  const d = g.downFactor ?? 1;
  for (const [k, v] of Object.entries({ height: g.height, width: g.width, textLength: g.textLength, downFactor: d }))
    if (!Number.isInteger(v) || v < 0) throw new GeometryError(`CLEAR geometry: ${k} must be a non-negative integer, got ${v}`);
  if (g.height < 1 || g.width < 1) throw new GeometryError(`CLEAR geometry: the image grid must be at least 1×1, got ${g.height}×${g.width}`);
  if (!(g.radius > 0)) throw new GeometryError(`CLEAR geometry: radius must be positive, got ${g.radius}`);
  if (d < 1) throw new GeometryError(`CLEAR geometry: down factor must be ≥ 1, got ${d}`);
  if (d > 1 && (g.height % d || g.width % d))
    throw new GeometryError(`CLEAR geometry: a ${g.height}×${g.width} grid does not split into ${d}×${d} cells (down factor ${d})`);
}

export function geometryKey(g: ClearGeometry): string {
  return `${g.height}x${g.width}:T${g.textLength}:r${g.radius}:d${g.downFactor ?? 1}`;
}
