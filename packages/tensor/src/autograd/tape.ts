// Reverse-mode autograd: the tape. A differentiable op (ops/<op>.ts, autograd/elementwise.ts) whose
// inputs require gradients records one node here: which tensors went in and came out, views of the
// tensors its backward needs, and the backward itself (the op's backward kernels). It sits between
// the elementwise kernels it sums gradients with and the op files that record on it. backward()
// walks the nodes in reverse, sums each tensor's gradient as its consumers report it, hands parameters (leaves) their gradient in
// `.grad`, then frees everything the tape held. When no input requires gradients nothing is recorded
// and nothing is allocated: inference pays one flag test per op.
//
// Each device's tape lives here, in a WeakMap keyed by the device (the engine below autograd knows
// nothing of it). A view of a tensor that requires gradients (Tensor.reshape) carries only `viewOf`;
// the tape records the view the first time an op consumes it (or backward starts from it), before
// that op's node, which is where a node made at the view's creation would have sorted too.
//
// Memory: a node keeps its saved tensors alive through views (a view shares the buffer's reference
// count and is taken out of every scope), so forward code may dispose intermediates or run in scopes.
// backward() disposes the views, the intermediate gradients and the seed; `Tape.clear()` does the
// same for a forward that is thrown away.

import type { Device } from '../device/device.js';
import type { Tensor } from '../tensor.js';
import { ClearditError, DTypeError, ShapeError } from '../errors.js';
import { fmtShape, sameShape } from '../shape.js';
import { full } from '../create.js';
import { add, copy } from '../ops/elementwise.js';
import { accumulateInto } from '../ops/elementwise.grad.js';

/** A backward: the gradients of the node's inputs (null where not needed) from its outputs' (null where none arrived). */
export type BackwardFn = (grads: readonly (Tensor | null)[], saved: readonly Tensor[], need: readonly boolean[]) => readonly (Tensor | null | undefined)[];

export interface TapeNode {
  readonly name: string;
  /** Inputs in op order; null where the input does not require gradients. */
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  /** Views of the tensors the backward reads, owned by the tape. */
  readonly saved: readonly Tensor[];
  readonly backward: BackwardFn;
}

export class Tape {
  readonly nodes: TapeNode[] = [];
  /** Views recorded since the last clear (a view reused after backward is recorded again). */
  private readonly views = new Set<Tensor>();
  /** >0 inside noGrad() and inside an op's own raw kernels: nothing records. */
  private off = 0;

  constructor(readonly device: Device) {}

  get recording(): boolean {
    return this.off === 0;
  }

  /** Runs fn with recording off (raw kernels inside a differentiable op; optimizer steps; evaluation). */
  paused<T>(fn: () => T): T {
    this.off++;
    try {
      return fn();
    } finally {
      this.off--;
    }
  }

  /** Retained tensors held by recorded nodes (for tests and memory accounting). */
  get savedCount(): number {
    let n = 0;
    for (const node of this.nodes) n += node.saved.length;
    return n;
  }

  /** Drops every recorded node and the tensors they saved (a forward whose backward will not run). */
  clear(): void {
    for (const node of this.nodes) for (const t of node.saved) t.dispose();
    this.nodes.length = 0;
    this.views.clear();
  }

  /** Records `t` (and the views it is a view of) if it is a view not yet on the tape. */
  recordView(t: Tensor): void {
    const src = t.viewOf;
    if (!src || t.producedByTape || this.views.has(t)) return;
    this.recordView(src);
    this.views.add(t);
    this.nodes.push({
      name: 'reshape',
      inputs: [src.requiresGrad ? src : null],
      outputs: [t],
      saved: [],
      backward: (g) => [g[0] ? g[0].reshape(src.shape) : null],
    });
  }
}

const tapes = new WeakMap<Device, Tape>();

/** The device's tape, made on first use. */
export function tapeOf(device: Device): Tape {
  let tape = tapes.get(device);
  if (!tape) tapes.set(device, (tape = new Tape(device)));
  return tape;
}

/** A parameter (a leaf): requires gradients and neither an op's output nor a view. */
const isLeaf = (t: Tensor) => !t.producedByTape && !t.viewOf;

/** True when an op on these operands must record: one requires gradients and recording is on. */
export function needsGrad(a: Tensor | null | undefined, b?: Tensor | null, c?: Tensor | null, d?: Tensor | null): boolean {
  const t = a?.requiresGrad ? a : b?.requiresGrad ? b : c?.requiresGrad ? c : d?.requiresGrad ? d : null;
  if (!t) return false;
  const tape = tapes.get(t.device);
  return !tape || tape.recording;
}

/** Same as needsGrad over a list. */
export function anyNeedsGrad(ts: readonly (Tensor | null | undefined)[]): boolean {
  for (const t of ts) if (t?.requiresGrad) return needsGrad(t);
  return false;
}

/** Runs the raw kernels of an op that will record: views they take of inputs must not record themselves. */
export function rawOf<T>(device: Device, fn: () => T): T {
  return tapeOf(device).paused(fn);
}

/**
 * Records a node. `inputs` are every differentiable operand in op order (undefined for absent optional
 * ones); `save` the tensors backward reads (inputs or outputs), retained until backward or clear.
 */
export function record(
  name: string,
  inputs: readonly (Tensor | null | undefined)[],
  outputs: readonly Tensor[],
  save: readonly Tensor[],
  backward: BackwardFn,
): void {
  const device = outputs[0].device;
  // Gradients are f32 and the optimizers update f32: a 16-bit weight can only be frozen.
  for (const t of inputs)
    if (t?.requiresGrad && t.dtype !== 'f32')
      throw new DTypeError(name, `a ${t.dtype} tensor ${fmtShape(t.shape)} requires gradients; only f32 tensors are trainable (cast it to f32 to train it)`);
  const tape = tapeOf(device);
  for (const t of inputs) if (t?.requiresGrad) tape.recordView(t);
  const saved = tape.paused(() => save.map((t) => t.reshape(t.shape).keep()));
  for (const o of outputs) {
    o.requiresGrad = true;
    o.producedByTape = true;
  }
  tape.nodes.push({ name, inputs: inputs.map((t) => (t && t.requiresGrad ? t : null)), outputs, saved, backward });
}

/** Runs fn with recording off on this device: ops inside never build a tape (evaluation, optimizer updates). */
export function noGrad<T>(device: Device, fn: () => T): T {
  return tapeOf(device).paused(fn);
}

export interface BackwardOptions {
  /** The gradient of the output (vector–Jacobian product); default ones, which needs a one-element output. */
  grad?: Tensor;
}

/**
 * Back-propagates from `output` through every node recorded on its device's tape, accumulating into the
 * `.grad` of each parameter (a leaf with requiresGrad) that reaches it, then clears the tape. Gradients add
 * to what is already in `.grad` (zero them with the optimizer's zeroGrad()).
 */
export function backward(output: Tensor, opts: BackwardOptions = {}): void {
  const device = output.device;
  const tape = tapeOf(device);
  if (!tape.recording) throw new ClearditError('backward: called inside noGrad()');
  if (!output.requiresGrad) {
    tape.clear();
    throw new ClearditError(`backward: the output ${fmtShape(output.shape)} does not require gradients (no parameter with requiresGrad reaches it)`);
  }
  if (output.producedByTape && !recorded(tape, output))
    throw new ClearditError(
      `backward: nothing on the tape produced the output ${fmtShape(output.shape)} (backward already ran over it, or the tape was cleared)`,
    );
  tape.recordView(output);
  if (opts.grad && !sameShape(opts.grad.shape, output.shape))
    throw new ShapeError('backward', `grad ${fmtShape(opts.grad.shape)} does not match the output ${fmtShape(output.shape)}`);
  if (!opts.grad && output.numel !== 1)
    throw new ShapeError('backward', `the output ${fmtShape(output.shape)} is not a scalar; pass opts.grad (the output's gradient)`);
  tape.paused(() => {
    try {
      device.scope(() => run(tape, output, opts.grad));
    } finally {
      tape.clear();
    }
  });
}

function recorded(tape: Tape, t: Tensor): boolean {
  for (let n = tape.nodes.length - 1; n >= 0; n--) if (tape.nodes[n].outputs.includes(t)) return true;
  return false;
}

function run(tape: Tape, output: Tensor, seed: Tensor | undefined): void {
  const device = tape.device;
  // Gradients arrive as tensors that may share buffers (a backward can return a view of its incoming
  // gradient, or one view for two inputs), so sums are made out of place until the end.
  const grads = new Map<Tensor, Tensor>();
  const leaves = new Set<Tensor>();
  const put = (t: Tensor, g: Tensor) => {
    const old = grads.get(t);
    if (!old) {
      grads.set(t, g);
      return;
    }
    grads.set(t, add(old, g));
    old.dispose();
    g.dispose();
  };
  put(output, seed ? seed.reshape(seed.shape) : full(device, output.shape, 1));
  if (isLeaf(output)) leaves.add(output);
  for (let n = tape.nodes.length - 1; n >= 0; n--) {
    const node = tape.nodes[n];
    const gOut = node.outputs.map((o) => grads.get(o) ?? null);
    if (gOut.every((g) => g === null)) continue;
    const need = node.inputs.map((t) => t !== null);
    const gIn = device.scope(() => [...node.backward(gOut, node.saved, need)]);
    for (const o of node.outputs) {
      grads.get(o)?.dispose();
      grads.delete(o);
    }
    for (let i = 0; i < node.inputs.length; i++) {
      const t = node.inputs[i];
      const g = gIn[i];
      if (!g) continue;
      if (!t) {
        g.dispose();
        continue;
      }
      if (!sameShape(g.shape, t.shape)) throw new ClearditError(`backward of ${node.name}: gradient ${fmtShape(g.shape)} for input ${fmtShape(t.shape)}`);
      put(t, g);
      if (isLeaf(t)) leaves.add(t);
    }
  }
  for (const leaf of leaves) {
    const g = grads.get(leaf);
    if (!g) continue;
    grads.delete(leaf);
    if (leaf.grad && !leaf.grad.isDisposed) {
      accumulateInto(leaf.grad, g);
      g.dispose();
    } else if (g.sharesStorage) {
      // A parameter's gradient must own its buffer: optimizers and clipping update it in place.
      leaf.grad = copy(g).keep();
      g.dispose();
    } else leaf.grad = g.keep();
  }
  for (const g of grads.values()) g.dispose();
}
