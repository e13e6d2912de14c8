// FLUX's timestep schedule (spec/sampler.md §1.2–1.3): t = linspace(1, 0, n + 1), optionally shifted
// toward 1 by t' = s·t / (1 + (s − 1)·t). The shift s is e^μ with μ from the packed image-token count
// (dev), none (schnell) or a fixed number (the CLEAR high-resolution recipe uses 3).
// Everything is computed in float32 exactly as torch does it (Math.fround after each operation), so the
// result equals BFL's get_schedule bit for bit (golden flux-schedule). Leaves out the loop (loops/euler.ts).

const f = Math.fround;

/** FLUX's defaults for μ: 0.5 at 256 image tokens, 1.15 at 4096, linear in between and beyond. */
export const FLUX_BASE_SHIFT = 0.5;
export const FLUX_MAX_SHIFT = 1.15;
export const FLUX_BASE_SEQ_LEN = 256;
export const FLUX_MAX_SEQ_LEN = 4096;

export interface FluxScheduleOptions {
  /** Number of Euler steps n; the schedule has n + 1 values. */
  steps: number;
  /** Packed image-token count N = ⌈H/16⌉·⌈W/16⌉ (required when shift is true). */
  imageSeqLen?: number;
  /**
   * true (default): dynamic shift, s = e^μ with μ = baseShift + (maxShift − baseShift)·(N − 256)/(4096 − 256),
   * not clamped (dev). false: plain linspace (schnell). A number: a fixed shift factor s (σ' = sσ/(1 + (s−1)σ)).
   */
  shift?: boolean | number;
  baseShift?: number;
  maxShift?: number;
}

/** μ for a packed image-token count: FLUX's calculate_shift, linear and unclamped (float64). */
export function fluxMu(imageSeqLen: number, baseShift = FLUX_BASE_SHIFT, maxShift = FLUX_MAX_SHIFT): number {
  const m = (maxShift - baseShift) / (FLUX_MAX_SEQ_LEN - FLUX_BASE_SEQ_LEN);
  const b = baseShift - m * FLUX_BASE_SEQ_LEN;
  return imageSeqLen * m + b;
}

/**
 * torch.linspace(start, end, steps) in float32: the step is rounded to float32, the first half counts up
 * from start and the second half down from end, so both endpoints are exact.
 */
export function linspaceF32(start: number, end: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`linspaceF32: count must be a non-negative integer, got ${count}`);
  if (count === 0) return [];
  if (count === 1) return [f(start)];
  const step = f((end - start) / (count - 1));
  const half = Math.floor(count / 2);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(i < half ? f(f(start) + f(step * i)) : f(f(end) - f(step * (count - 1 - i))));
  return out;
}

/** BFL's time_shift with exponent 1, in float32: e / (e + (1/t − 1)), with e = s rounded to float32. 0 → 0, 1 → 1. */
export function shiftTimeF32(t: number, s: number): number {
  const e = f(s);
  return f(e / f(e + f(f(1 / t) - 1)));
}

/**
 * FLUX's timestep schedule: n + 1 decreasing values from exactly 1 to exactly 0, as float32 values in
 * plain numbers. Matches BFL's get_schedule (and diffusers' FlowMatchEulerDiscreteScheduler sigmas with
 * the terminal 0) bit for bit. The Euler loop evaluates the model at values 0..n−1.
 *
 * @throws RangeError for a non-positive or non-integer step count, or shift=true without imageSeqLen.
 */
export function fluxSchedule(opts: FluxScheduleOptions): number[] {
  const { steps, imageSeqLen, shift = true, baseShift = FLUX_BASE_SHIFT, maxShift = FLUX_MAX_SHIFT } = opts;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`fluxSchedule: steps must be a positive integer, got ${steps}`);
  const t = linspaceF32(1, 0, steps + 1);
  if (shift === false) return t;
  let s: number;
  if (shift === true) {
    if (imageSeqLen === undefined || !(imageSeqLen > 0))
      throw new RangeError(`fluxSchedule: a dynamic shift needs imageSeqLen (the packed image-token count), got ${imageSeqLen}`);
    s = Math.exp(fluxMu(imageSeqLen, baseShift, maxShift));
  } else {
    if (!(shift > 0) || !Number.isFinite(shift)) throw new RangeError(`fluxSchedule: a fixed shift must be a positive number, got ${shift}`);
    s = shift;
  }
  return t.map((x) => shiftTimeF32(x, s));
}

/** The packed image-token count for an image of height × width pixels: ⌈H/16⌉·⌈W/16⌉ (BFL's rounding up). */
export function fluxImageSeqLen(height: number, width: number): number {
  return Math.ceil(height / 16) * Math.ceil(width / 16);
}
