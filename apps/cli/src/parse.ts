// Flag parsing helpers: every bad value becomes a one-line UsageError naming the flag.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './exit.js';

export function positiveInt(flag: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || (!allowZero && n === 0))
    throw new UsageError(`${flag} expects a ${allowZero ? 'non-negative' : 'positive'} integer, got '${value}'`);
  return n;
}

export function positiveNumbers(flag: string, values: string[], integer: boolean): number[] {
  return values.map((v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
      throw new UsageError(`${flag} expects positive ${integer ? 'integers' : 'numbers'}, got '${v}'`);
    return n;
  });
}

/** An integer ≥ min from a commander option value. */
export function intAtLeast(flag: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${v}: expected an integer ≥ ${min}`);
  return n;
}

/** A number in [lo, hi] from a commander option value. */
export function numberIn(flag: string, v: string | undefined, lo: number, hi: number): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi) throw new UsageError(`${flag} ${v}: expected a number in [${lo}, ${hi}]`);
  return n;
}

/**
 * An output path checked before any work: its folder exists, it is not a folder, and an existing file
 * is only replaced with --overwrite (the atomic write checks again when it writes).
 */
export function checkOutputPath(flag: string, path: string, overwrite: boolean): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${path}: the folder ${dir} does not exist`);
  if (!existsSync(path)) return;
  if (statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: is a folder; name a file`);
  if (!overwrite) throw new UsageError(`${path} exists: pass --overwrite to replace it`);
}
