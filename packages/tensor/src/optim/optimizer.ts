// What every optimizer shares: named trainable parameters (frozen ones — requiresGrad false — are left
// out and get neither gradients nor state), zeroGrad, the base learning rate with a schedule hook, a
// step counter, and per-parameter state tensors that serialize with the parameters (checkpoint.ts).
// The per-step scalars (learning rate, bias corrections, Prodigy's d) reach the kernels through one
// small storage buffer rewritten each step, so a kernel compiles once per parameter shape, not per step.

import type { Device } from '../device/device.js';
import type { Tensor } from '../tensor.js';
import { ClearditError } from '../errors.js';
import { tensor } from '../create.js';

export type NamedParams = Record<string, Tensor> | Iterable<readonly [string, Tensor]>;

/** A learning-rate schedule: the factor applied to the base lr at step `step` (0 for the first step). */
export type Schedule = (step: number) => number;

export interface OptimizerOptions {
  lr?: number;
  /** Multiplies lr per step (LambdaLR-style). See schedule.ts for common ones. */
  schedule?: Schedule;
}

export function namedParams(params: NamedParams): [string, Tensor][] {
  const list: [string, Tensor][] =
    Symbol.iterator in params ? [...(params as Iterable<readonly [string, Tensor]>)].map(([n, t]) => [n, t]) : Object.entries(params);
  const seen = new Set<string>();
  for (const [n, t] of list) {
    if (seen.has(n)) throw new ClearditError(`optimizer: parameter name '${n}' appears twice`);
    seen.add(n);
    if (t.dtype !== 'f32') throw new ClearditError(`optimizer: parameter '${n}' is ${t.dtype}; trainable parameters must be f32`);
  }
  return list;
}

export abstract class Optimizer {
  /** Trainable parameters by name, in the order given (frozen ones are skipped). */
  readonly params: [string, Tensor][];
  readonly device: Device;
  lr: number;
  schedule: Schedule | undefined;
  /** Optimizer steps taken (the schedule's step index for the next step). */
  stepCount = 0;
  private hyperBuffers = new Map<string, Tensor>();

  constructor(params: NamedParams, opts: OptimizerOptions, defaultLr: number) {
    const all = namedParams(params);
    this.params = all.filter(([, t]) => t.requiresGrad);
    if (!all.length) throw new ClearditError('optimizer: no parameters');
    this.device = all[0][1].device;
    this.lr = opts.lr ?? defaultLr;
    this.schedule = opts.schedule;
  }

  /** The learning rate the next step uses: lr × schedule(stepCount). */
  get currentLr(): number {
    return this.lr * (this.schedule ? this.schedule(this.stepCount) : 1);
  }

  /** Drops every parameter's gradient (frees the buffers; the next backward makes new ones). */
  zeroGrad(): void {
    for (const [, p] of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  abstract step(): Promise<void>;

  /** Per-parameter state tensors by `<param>.<state>` name. */
  abstract stateTensors(): Record<string, Tensor>;

  /** Scalars and configuration, JSON-serializable (numbers round-trip exactly through JSON). */
  abstract stateScalars(): Record<string, unknown>;

  /** Restores what stateTensors/stateScalars described; tensors are uploaded copies the optimizer owns. */
  abstract loadState(tensors: Map<string, Tensor>, scalars: Record<string, unknown>): void;

  abstract get name(): string;

  /** Uploads `values` into the optimizer's scalar buffer `key` (kept between steps; same size each time). */
  protected hyper(key: string, values: Float32Array): Tensor {
    let h = this.hyperBuffers.get(key);
    if (!h || h.numel !== values.length) {
      h?.dispose();
      h = tensor(this.device, values, [values.length]).keep();
      this.hyperBuffers.set(key, h);
    } else this.device.write(h.buffer, values);
    return h;
  }

  /** Frees the state and scalar buffers (not the parameters or their gradients). */
  dispose(): void {
    for (const t of Object.values(this.stateTensors())) t.dispose();
    for (const h of this.hyperBuffers.values()) h.dispose();
    this.hyperBuffers.clear();
  }
}
