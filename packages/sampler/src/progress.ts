// Progress reporting and cancellation shared by every sampling loop.
//
// Choice: an aborted loop throws `SamplingAborted` (it does not return a partial latent). Every latent
// the loop made is disposed before the throw, and the caller's input is never disposed, so GPU memory
// is back where it was before the call. Callers tell it apart by `error.name === 'SamplingAborted'`.

import { ClearditError, copy, type Tensor } from '@cleardit/tensor';

/** What a loop reports after each step. */
export interface StepInfo {
  /** Steps completed so far: 1 after the first step, `total` after the last. */
  step: number;
  /** Steps this call runs (after an img2img start, fewer than the schedule's length). */
  total: number;
  /**
   * The time the model was evaluated at in this step: FLUX's t_k ∈ [0, 1], or DiT's original integer
   * timestep S_i.
   */
  t: number;
  /**
   * The latent after this step, on the GPU. Borrowed: read it (e.g. `await latent.toFloat32()` for a
   * preview) before the callback returns or its promise settles; never dispose it.
   */
  latent: Tensor;
}

/** Called once per step, in order. A returned promise is awaited before the next step. */
export type OnStep = (info: StepInfo) => void | Promise<void>;

/** Options every loop accepts. */
export interface LoopControl {
  onStep?: OnStep;
  /** Checked before every step (and after every callback); aborting stops the loop with SamplingAborted. */
  signal?: AbortSignal;
}

/** Thrown when a loop sees its AbortSignal aborted. `step` steps of `total` had completed. */
export class SamplingAborted extends ClearditError {
  override name = 'SamplingAborted';
  constructor(
    readonly step: number,
    readonly total: number,
    reason?: unknown,
  ) {
    super(`sampling aborted after ${step} of ${total} steps`, reason === undefined ? undefined : { cause: reason });
  }
}

/**
 * Runs one loop's bookkeeping around `body`: before each step, checks the signal; after it, waits for
 * the GPU (so progress is real and GPU errors surface at the step that caused them), reports the step,
 * and disposes the previous latent unless it is the caller's input. The result is always a new tensor.
 */
export async function runSteps(input: Tensor, total: number, control: LoopControl, step: (x: Tensor, k: number) => { x: Tensor; t: number }): Promise<Tensor> {
  let x = input;
  const release = (t: Tensor) => {
    if (t !== input) t.dispose();
  };
  try {
    for (let k = 0; k < total; k++) {
      throwIfAborted(control.signal, k, total);
      const next = step(x, k);
      release(x);
      x = next.x;
      await x.device.sync();
      await control.onStep?.({ step: k + 1, total, t: next.t, latent: x });
    }
  } catch (e) {
    release(x);
    throw e;
  }
  return x === input ? copy(input) : x; // zero steps: still hand back a tensor the caller owns
}

function throwIfAborted(signal: AbortSignal | undefined, step: number, total: number): void {
  if (signal?.aborted) throw new SamplingAborted(step, total, signal.reason);
}
