// AdamW (Loshchilov & Hutter), as torch.optim.AdamW computes it (single-tensor path), per element:
//   p ← p·(1 − lr·wd);  m ← m + (1−β1)(g − m);  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps)
// One kernel per parameter per step, no readback: the per-step scalars arrive in a small buffer.

import { Tensor } from '../tensor.js';
import { zeros } from '../create.js';
import { ClearditError } from '../errors.js';
import { f32Lit, memo } from '../ops/wgsl.js';
import { defineKernel } from '../ops/kernel.js';
import { Optimizer, type NamedParams, type OptimizerOptions } from './optimizer.js';

export interface AdamWOptions extends OptimizerOptions {
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

interface AdamState {
  m: Tensor;
  v: Tensor;
  step: number;
}

export class AdamW extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  weightDecay: number;
  private state = new Map<string, AdamState>();

  constructor(params: NamedParams, opts: AdamWOptions = {}) {
    super(params, opts, 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 1e-2;
  }

  get name(): string {
    return 'AdamW';
  }

  async step(): Promise<void> {
    this.stepNow();
  }

  /** The step, recorded synchronously (AdamW needs no readback). */
  stepNow(): void {
    const lr = this.currentLr;
    const [b1, b2] = this.betas;
    const live = this.params.filter(([, p]) => p.grad);
    // parameters at the same step count share one scalar buffer (usually all of them: one upload)
    const groups = new Map<number, [string, Tensor][]>();
    for (const entry of live) {
      const t = (this.state.get(entry[0])?.step ?? 0) + 1;
      if (!groups.has(t)) groups.set(t, []);
      groups.get(t)!.push(entry);
    }
    let slot = 0;
    for (const [t, members] of groups) {
      const h = new Float32Array([1 - lr * this.weightDecay, lr / (1 - b1 ** t), Math.sqrt(1 - b2 ** t), 0]);
      const hyper = this.hyper(`adamw${slot++}`, h);
      for (const [name, p] of members) {
        let s = this.state.get(name);
        if (!s) {
          s = { m: zeros(this.device, p.shape).keep(), v: zeros(this.device, p.shape).keep(), step: 0 };
          this.state.set(name, s);
        }
        s.step++;
        memo(`adamw:${b1}:${b2}:${this.eps}`, () =>
          defineKernel({
            name: 'adamw',
            inputs: { G: 'f32', H: 'vec4<f32>' },
            outputs: { W: 'f32', M: 'f32', V: 'f32' },
            each: 'thread',
            body: `  let h = H[0];
  let gi = G[i];
  let m = M[i] + ${f32Lit(1 - b1)} * (gi - M[i]);
  let v = ${f32Lit(b2)} * V[i] + ${f32Lit(1 - b2)} * gi * gi;
  M[i] = m;
  V[i] = v;
  W[i] = W[i] * h.x - h.y * m / (sqrt(v) / h.z + ${f32Lit(this.eps)});`,
          }),
        ).launch(this.device, { inputs: [p.grad!.buffer, hyper.buffer], outputs: [p.buffer, s.m.buffer, s.v.buffer], count: p.numel });
      }
    }
    this.stepCount++;
  }

  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, s] of this.state) {
      out[`${name}.exp_avg`] = s.m;
      out[`${name}.exp_avg_sq`] = s.v;
    }
    return out;
  }

  stateScalars(): Record<string, unknown> {
    const steps: Record<string, number> = {};
    for (const [name, s] of this.state) steps[name] = s.step;
    return { optimizer: this.name, lr: this.lr, betas: this.betas, eps: this.eps, weightDecay: this.weightDecay, stepCount: this.stepCount, steps };
  }

  loadState(tensors: Map<string, Tensor>, scalars: Record<string, unknown>): void {
    if (scalars.optimizer !== this.name) throw new ClearditError(`AdamW: the checkpoint holds ${String(scalars.optimizer)} state`);
    for (const s of this.state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.state.clear();
    this.stepCount = scalars.stepCount as number;
    const steps = scalars.steps as Record<string, number>;
    for (const [name] of this.params) {
      if (!(name in steps)) continue;
      const m = tensors.get(`${name}.exp_avg`);
      const v = tensors.get(`${name}.exp_avg_sq`);
      if (!m || !v) throw new ClearditError(`AdamW: the checkpoint lacks the state of '${name}'`);
      this.state.set(name, { m: m.keep(), v: v.keep(), step: steps[name] });
    }
  }
}
