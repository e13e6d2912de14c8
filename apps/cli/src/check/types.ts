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

/** Values with their shape (a model output, or a reference tensor). */
export interface Shaped {
  data: ArrayLike<number>;
  shape: readonly number[];
}

const isShaped = (x: ArrayLike<number> | Shaped): x is Shaped => 'shape' in x && 'data' in x;
const squeeze = (s: readonly number[]) => s.filter((d) => d !== 1).join(',');

/**
 * One output against its reference: shapes first (up to size-1 axes; "shapes differ: [a] vs [b]"),
 * then sizes, then NaN where the reference has a number, then the largest error.
 */
export function compare(output: string, gotIn: ArrayLike<number> | Shaped, wantIn: ArrayLike<number> | Shaped, tolerance: number, absolute = false): CheckRow {
  const got = isShaped(gotIn) ? gotIn.data : gotIn;
  const want = isShaped(wantIn) ? wantIn.data : wantIn;
  const fail = (text: string): CheckRow => ({ output, maxAbs: Infinity, maxRel: Infinity, tolerance, absolute, pass: false, text });
  if (isShaped(gotIn) && isShaped(wantIn) && squeeze(gotIn.shape) !== squeeze(wantIn.shape))
    return fail(`shapes differ: [${gotIn.shape.join(',')}] vs [${wantIn.shape.join(',')}]`);
  if (got.length !== want.length) return fail(`sizes differ: ${got.length} vs ${want.length} values`);
  let maxAbs = 0;
  let scale = 0;
  let nan = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(got[i]) && !Number.isNaN(want[i])) nan++;
    else maxAbs = Math.max(maxAbs, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  if (nan) return fail(`NaN in ${nan} of ${want.length} values`);
  const maxRel = maxAbs / (scale || 1);
  return { output, maxAbs, maxRel, tolerance, absolute, pass: (absolute ? maxAbs : maxRel) <= tolerance };
}
