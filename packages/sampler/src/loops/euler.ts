// FLUX's sampler (spec/sampler.md §1.3): Euler on the rectified flow, x ← x + (t_{k+1} − t_k)·v(x, t_k),
// one model call per step, no classifier-free batch doubling (dev's guidance is an embedding input).

import { type Tensor, add, mulScalar } from '@cleardit/tensor';
import { type LoopControl, runSteps } from '../progress.js';

/**
 * A flow model: the velocity v ≈ ε − x₀ at time t ∈ [0, 1] (t = 1 is noise; the model scales by 1000
 * itself). `guidance` is dev's guidance-embedding value, undefined for schnell. Must return a new
 * tensor of x's shape; the loop disposes it and every other tensor the call creates.
 */
export type FlowModel<C> = (x: Tensor, t: number, cond: C, guidance: number | undefined) => Tensor;

export interface EulerFlowOptions<C> extends LoopControl {
  model: FlowModel<C>;
  /** The starting latent (noise, or img2imgLatent's mix); not disposed. Any layout ([B, N, 64] packed). */
  x: Tensor;
  /** Decreasing times from fluxSchedule: n + 1 values, the model runs at the first n. */
  schedule: readonly number[];
  cond: C;
  /** Passed to the model as is (FLUX.1-dev: 3.5). */
  guidance?: number;
  /** Schedule index to start from (img2imgStart's startIndex; default 0). */
  startIndex?: number;
}

/**
 * Integrates from schedule[startIndex] to the last value with Euler steps and returns the final latent
 * (a new tensor; the caller owns it). Reports each step ({step, total = n − startIndex, t = t_k,
 * latent}) and stops with SamplingAborted when `signal` aborts, leaking nothing.
 */
export function eulerFlow<C>(opts: EulerFlowOptions<C>): Promise<Tensor> {
  const { model, x, schedule, cond, guidance, startIndex = 0 } = opts;
  const n = schedule.length - 1;
  if (n < 0 || !Number.isInteger(startIndex) || startIndex < 0 || startIndex > n)
    throw new RangeError(`eulerFlow: start index ${startIndex} is outside a schedule of ${n} steps`);
  return runSteps(x, n - startIndex, opts, (xk, j) => {
    const k = startIndex + j;
    const [t, tNext] = [schedule[k], schedule[k + 1]];
    const next = xk.device.scope(() => add(xk, mulScalar(model(xk, t, cond, guidance), tNext - t)));
    return { x: next, t };
  });
}
