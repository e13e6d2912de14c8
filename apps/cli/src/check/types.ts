// What a reference-vector checker is: it recognises a file by its tensor names and metadata, runs the
// computation the file describes on the device, and compares every output it can produce.
import type { Device, SafetensorsReader } from '@cleardit/tensor';

export interface CheckRow {
  output: string;
  maxAbs: number;
  /** max |got − want| / max |want| */
  maxRel: number;
  /** The bound maxRel (or maxAbs, when `absolute`) must stay under. */
  tolerance: number;
  absolute?: boolean;
  pass: boolean;
  /** Shown instead of the numbers (e.g. exact counts). */
  text?: string;
}

export interface CheckResult {
  title: string;
  rows: CheckRow[];
  skipped: { output: string; reason: string }[];
}

export interface CheckOptions {
  /** DiT: facebookresearch/DiT's semantics (default) or stock diffusers'. */
  ditSemantics: 'dit' | 'diffusers';
}

export interface Checker {
  name: string;
  recognize(reader: SafetensorsReader): boolean;
  run(device: Device, reader: SafetensorsReader, opts: CheckOptions): Promise<CheckResult>;
}

export function compare(output: string, got: ArrayLike<number>, want: ArrayLike<number>, tolerance: number, absolute = false): CheckRow {
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    maxAbs = Number.isNaN(e) ? Infinity : Math.max(maxAbs, e);
    scale = Math.max(scale, Math.abs(want[i]));
  }
  if (got.length !== want.length) maxAbs = Infinity;
  const maxRel = maxAbs / (scale || 1);
  return { output, maxAbs, maxRel, tolerance, absolute, pass: (absolute ? maxAbs : maxRel) <= tolerance };
}
