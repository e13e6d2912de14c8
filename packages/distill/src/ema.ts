// An exponential moving average of parameters, e ← d·e + (1 − d)·p after every step, kept as GPU
// tensors beside them; sampling uses the average. The decay warms up, d_k = min(d, (1 + k)/(10 + k))
// after step k (as diffusers' EMAModel), so early averages are not dominated by the initial weights
// (with d = 0.999, 74% of the average would still be the initialisation after 300 steps). Off the tape
// (noGrad), so it never enters backward.
import { type Device, type Tensor, copy, full, noGrad, raw } from '@cleardit/tensor';

export class Ema {
  readonly tensors = new Map<string, Tensor>();

  constructor(
    readonly device: Device,
    readonly params: ReadonlyMap<string, Tensor>,
    readonly decay: number,
  ) {
    noGrad(device, () => {
      for (const [name, p] of params) this.tensors.set(name, copy(p).keep());
    });
  }

  /** The decay applied after step `step` (0 for the first step). */
  decayAt(step: number): number {
    return Math.min(this.decay, (1 + step) / (10 + step));
  }

  update(step: number): void {
    const d = this.decayAt(step);
    noGrad(this.device, () => {
      for (const [name, p] of this.params) {
        const e = this.tensors.get(name)!;
        const next = this.device.scope(() => raw.addMul(raw.mulScalar(e, d), p, full(this.device, [1], 1 - d))).keep();
        e.dispose();
        this.tensors.set(name, next);
      }
    });
  }

  /** Replaces the averages (a checkpoint's). */
  load(values: ReadonlyMap<string, Tensor>): void {
    for (const [name, t] of values) {
      this.tensors.get(name)?.dispose();
      this.tensors.set(name, t.keep());
    }
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
    this.tensors.clear();
  }
}
