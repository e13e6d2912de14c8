// Typed errors with stable names. Every message says what was asked, what was found, and where.
// Callers match on `error.name` (stable across versions), never on message text.

export class ClearditError extends Error {
  override name = 'ClearditError';
}

/**
 * A problem with what the caller gave — a file, a flag, a shape, a config, a request too big for the
 * adapter — rather than a failure of cleardit or of the device. The command line exits 2 on these
 * (by class, not by name), 1 on every other error.
 */
export class InputError extends ClearditError {
  override name = 'InputError';
}

/** An op got operands whose shapes or dtypes do not fit together. */
export class ShapeError extends InputError {
  override name = 'ShapeError';
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/** An op got a tensor of a dtype it does not take (a 16-bit weight where f32 is needed, a cast it cannot make). */
export class DTypeError extends InputError {
  override name = 'DTypeError';
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/** An op got tensors that live on different devices. */
export class DeviceMismatchError extends InputError {
  override name = 'DeviceMismatchError';
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
  }
}

/** A request is larger than the adapter allows (buffer size, binding size, workgroups). */
export class DeviceLimitError extends InputError {
  override name = 'DeviceLimitError';
  constructor(what: string, requested: number, allowed: number, hint = '') {
    super(`${what}: ${fmtBytes(requested)} requested, the adapter allows ${fmtBytes(allowed)}${hint ? `. ${hint}` : ''}`);
  }
}

/** The GPU ran out of memory while creating a buffer. */
export class OutOfMemoryError extends ClearditError {
  override name = 'OutOfMemoryError';
}

/** A WGSL kernel failed to compile; the message carries the compiler's words and the source lines around them. */
export class KernelCompileError extends ClearditError {
  override name = 'KernelCompileError';
  constructor(
    readonly kernel: string,
    message: string,
  ) {
    super(message);
  }
}

/** The GPU device was lost (driver reset, out of memory in the driver, destroyed). */
export class DeviceLostError extends ClearditError {
  override name = 'DeviceLostError';
}

/** No adapter matched what was asked for, or none could be created. */
export class AdapterError extends InputError {
  override name = 'AdapterError';
}

/** A tensor was used after dispose, or disposed twice. */
export class DisposedError extends ClearditError {
  override name = 'DisposedError';
}

/** A safetensors file is malformed or holds something we refuse. Always names the file. */
export class SafetensorsError extends InputError {
  override name = 'SafetensorsError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** Bytes in binary units with the exact count: "76.6 KiB (78464 bytes)"; `exact` false drops the count (tables). */
export function fmtBytes(n: number, exact = true): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const short = `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
  return exact ? `${short} (${n} bytes)` : short;
}
