// Tensor: a GPU buffer with a shape and a dtype. Always contiguous, row-major. Views (reshape) share
// the buffer through a reference count; the buffer returns to the device's pool when the last view is
// disposed, by dispose(), `using`, or the end of the device.scope() that created it.

import type { Device } from './device/device.js';
import { type DType, storageBytes, hostArrayFor } from './dtype.js';
import { DTypeError, DisposedError, ShapeError } from './errors.js';
import { numel as countOf, type Shape, fmtShape, checkShape } from './shape.js';
import { bf16sToFloats, halvesToFloats } from './half.js';

class Storage {
  refs = 1;
  constructor(
    readonly device: Device,
    readonly buffer: GPUBuffer,
  ) {}
  release(): void {
    if (--this.refs === 0) this.device.pool.release(this.buffer);
  }
}

export class Tensor {
  private disposed = false;
  readonly shape: readonly number[];
  readonly numel: number;
  /**
   * Autograd: set it on a parameter to train. Ops whose inputs require gradients record onto the device's
   * tape (autograd/tape.ts), and their outputs require gradients too. Off by default: inference records nothing.
   */
  requiresGrad = false;
  /** Autograd: a parameter's gradient, accumulated by backward() (same shape, f32); null until then. */
  grad: Tensor | null = null;
  /** @internal Autograd: set on tensors that a recorded op produced (they are not parameters). */
  producedByTape = false;
  /**
   * @internal The tensor this one is a view of, when that one requires gradients. Plain data: autograd
   * (autograd/tape.ts) records the view on its tape when an op consumes it, so models use views freely.
   */
  viewOf: Tensor | null = null;

  private constructor(
    readonly device: Device,
    private readonly storage: Storage,
    shape: Shape,
    readonly dtype: DType,
  ) {
    this.shape = Object.freeze([...shape]);
    this.numel = countOf(shape);
    device.track(this);
  }

  /** A new, uninitialised tensor. */
  static empty(device: Device, shape: Shape, dtype: DType = 'f32'): Tensor {
    checkShape('empty', shape);
    const buffer = device.allocate(storageBytes(dtype, countOf(shape)));
    return new Tensor(device, new Storage(device, buffer), shape, dtype);
  }

  get rank(): number {
    return this.shape.length;
  }

  get buffer(): GPUBuffer {
    if (this.disposed) throw new DisposedError(`tensor ${fmtShape(this.shape)} ${this.dtype} was used after dispose()`);
    return this.storage.buffer;
  }

  get byteSize(): number {
    return storageBytes(this.dtype, this.numel);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** A view with another shape over the same buffer (no copy). One dimension may be -1. */
  reshape(shape: Shape): Tensor {
    const s = [...shape];
    const hole = s.indexOf(-1);
    if (hole >= 0) {
      const rest = countOf(s.filter((_, i) => i !== hole));
      s[hole] = rest === 0 ? 0 : this.numel / rest;
    }
    if (!s.every((d) => Number.isInteger(d) && d >= 0) || countOf(s) !== this.numel)
      throw new ShapeError('reshape', `cannot view ${fmtShape(this.shape)} (${this.numel} elements) as ${fmtShape(shape)}`);
    void this.buffer; // throws if disposed
    this.storage.refs++;
    const view = new Tensor(this.device, this.storage, s, this.dtype);
    if (this.requiresGrad) {
      view.requiresGrad = true;
      view.viewOf = this;
    }
    return view;
  }

  /** Marks this tensor as a parameter to train (or freezes it with `false`). Returns it. Only f32 trains. */
  requireGrad(on = true): this {
    if (on && this.dtype !== 'f32')
      throw new DTypeError('requireGrad', `tensor ${fmtShape(this.shape)} is ${this.dtype}; only f32 tensors are trainable (cast it to f32 first)`);
    this.requiresGrad = on;
    return this;
  }

  /** @internal Whether another live tensor views this one's buffer. */
  get sharesStorage(): boolean {
    return this.storage.refs > 1;
  }

  /** Removes this tensor from every scope: it lives until dispose() is called. */
  keep(): this {
    this.device.untrack(this);
    return this;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.device.untrack(this);
    this.storage.release();
    this.grad?.dispose();
    this.grad = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Reads the values back. f32, f16 and bf16 arrive as Float32Array, i32 as Int32Array, u32 as Uint32Array. */
  async toArray(): Promise<Float32Array | Int32Array | Uint32Array> {
    const bytes = await this.device.read(this.buffer, this.byteSize);
    const host = hostArrayFor(this.dtype, bytes, this.numel);
    if (!(host instanceof Uint16Array)) return host;
    return this.dtype === 'bf16' ? bf16sToFloats(host) : halvesToFloats(host);
  }

  /** Reads the values back as a Float32Array (f32, f16 and bf16 tensors). */
  async toFloat32(): Promise<Float32Array> {
    const a = await this.toArray();
    if (!(a instanceof Float32Array)) throw new DTypeError('toFloat32', `tensor is ${this.dtype}, not a float type`);
    return a;
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}${this.disposed ? ', disposed' : ''})`;
  }
}
