// Prodigy (Mishchenko & Defazio 2023): Adam whose step size d is estimated on the fly. This follows the
// `prodigyopt` package's Prodigy.step (konstmish/prodigy, prodigyopt/prodigy.py) with slice_p = 1 and
// one parameter group, operation for operation:
//   dlr = d·lr·bc,  bc = √(1−β2^(k+1)) / (1−β1^(k+1)) with use_bias_correction, else 1
//   per parameter:  num += (d/d0)·dlr·⟨g, p0 − p⟩
//                   m ← β1·m + d(1−β1)·g;   v ← β2·v + d²(1−β2)·g²
//                   s ← β3·s + (d/d0)·(safeguard_warmup ? d : dlr)·g;   den += Σ|s|
//   (num starts each step as β3·num of the last step; if den = 0 the step ends here)
//   d̂ = d_coef·num/den;  d ← max(d, d̂) if d = d0;  d_max ← max(d_max, d̂);  d ← min(d_max, d·growth)
//   per parameter:  p ← p − wd·dlr·p (decoupled);  p ← p − dlr·m / (√v + d·eps)
// The two sums run on the GPU (a two-stage reduction per parameter into one stats buffer) and come back
// in a single readback per step; d and the other scalars are kept on the host in float64, as the
// reference keeps them in Python floats. Everything per element stays on the GPU.

import { Tensor } from '../tensor.js';
import { copy } from '../ops/elementwise.js';
import { zeros } from '../create.js';
import { ClearditError } from '../errors.js';
import { f32Lit, memo } from '../ops/wgsl.js';
import { defineKernel } from '../ops/kernel.js';
import { Optimizer, type NamedParams, type OptimizerOptions } from './optimizer.js';
import { foldPartials, partialCount, stageOne, stageOneLaunch } from './reduce.js';

export interface ProdigyOptions extends OptimizerOptions {
  /** lr defaults to 1.0 (the recommended value; the CLEAR recipe uses it). */
  betas?: [number, number];
  /** Defaults to √β2. */
  beta3?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW-style decoupled weight decay (default true). */
  decouple?: boolean;
  useBiasCorrection?: boolean;
  safeguardWarmup?: boolean;
  d0?: number;
  dCoef?: number;
  growthRate?: number;
}

interface ProdigyState {
  m: Tensor;
  v: Tensor;
  s: Tensor;
  p0: Tensor;
  step: number;
}

export class Prodigy extends Optimizer {
  readonly betas: [number, number];
  readonly beta3: number;
  readonly eps: number;
  weightDecay: number;
  readonly decouple: boolean;
  readonly useBiasCorrection: boolean;
  readonly safeguardWarmup: boolean;
  readonly d0: number;
  readonly dCoef: number;
  readonly growthRate: number;
  d: number;
  dMax: number;
  dNumerator = 0;
  dDenom = 0;
  dHat = 0;
  /** Prodigy's own step counter (not advanced by a step that ends early). */
  k = 0;
  private state = new Map<string, ProdigyState>();

  constructor(params: NamedParams, opts: ProdigyOptions = {}) {
    super(params, opts, 1.0);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.beta3 = opts.beta3 ?? Math.sqrt(this.betas[1]);
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decouple = opts.decouple ?? true;
    this.useBiasCorrection = opts.useBiasCorrection ?? false;
    this.safeguardWarmup = opts.safeguardWarmup ?? false;
    this.d0 = opts.d0 ?? 1e-6;
    this.dCoef = opts.dCoef ?? 1.0;
    this.growthRate = opts.growthRate ?? Infinity;
    this.d = this.d0;
    this.dMax = this.d0;
    if (!(this.d0 > 0)) throw new ClearditError(`Prodigy: d0 must be positive, got ${this.d0}`);
    if (!(this.eps > 0)) throw new ClearditError(`Prodigy: eps must be positive, got ${this.eps}`);
  }

  get name(): string {
    return 'Prodigy';
  }

  async step(): Promise<void> {
    const lr = this.currentLr;
    if (!(lr > 0)) {
      // the reference skips everything when lr is 0 (d_denom stays 0)
      this.stepCount++;
      return;
    }
    const device = this.device;
    const [b1, b2] = this.betas;
    const b3 = this.beta3;
    const d = this.d;
    const bc = this.useBiasCorrection ? Math.sqrt(1 - b2 ** (this.k + 1)) / (1 - b1 ** (this.k + 1)) : 1;
    const dlr = d * lr * bc;
    const live = this.params.filter(([, p]) => p.grad);
    if (!live.length) {
      this.stepCount++;
      return;
    }
    const wdCoupled = this.weightDecay !== 0 && !this.decouple;
    const ha = new Float32Array(4);
    ha[0] = d * (1 - b1);
    ha[1] = d * d * (1 - b2);
    ha[2] = (d / this.d0) * (this.safeguardWarmup ? d : dlr);
    ha[3] = this.weightDecay;
    const hyperA = this.hyper('prodigy_a', ha);
    const stats = Tensor.empty(device, [2 * live.length]);
    try {
      live.forEach(([name, p], j) => {
        let st = this.state.get(name);
        if (!st) {
          st = { m: zeros(device, p.shape).keep(), v: zeros(device, p.shape).keep(), s: zeros(device, p.shape).keep(), p0: copy(p).keep(), step: 0 };
          this.state.set(name, st);
        }
        const n = p.numel;
        const parts = partialCount(n);
        const part = Tensor.empty(device, [2 * parts]);
        const gExpr = wdCoupled ? 'G[i] + h.w * W[i]' : 'G[i]';
        // β's and coupled decay are fixed per optimizer; step scalars come in H, the size as a parameter
        const k = memo(`prodigy_stats:${b1}:${b2}:${b3}:${wdCoupled}`, () =>
          stageOne(
            'prodigy_stats',
            { G: 'f32', W: 'f32', W0: 'f32', H: 'vec4<f32>' },
            { M: 'f32', V: 'f32', S: 'f32' },
            `let h = H[0];
      let g = ${gExpr};
      M[i] = ${f32Lit(b1)} * M[i] + h.x * g;
      V[i] = ${f32Lit(b2)} * V[i] + h.y * g * g;
      let s = ${f32Lit(b3)} * S[i] + h.z * g;
      S[i] = s;
      contrib = vec2<f32>(g * (W0[i] - W[i]), abs(s));`,
          ),
        );
        if (n) {
          stageOneLaunch(device, k, n, [p.grad!.buffer, p.buffer, st.p0.buffer, hyperA.buffer], [st.m.buffer, st.v.buffer, st.s.buffer, part.buffer]);
          foldPartials(device, part, parts, stats, j);
        }
        part.dispose();
      });
      const sums =
        live.length && live.some(([, p]) => p.numel) ? new Float32Array(await device.read(stats.buffer, stats.byteSize)) : new Float32Array(2 * live.length);
      // accumulate in parameter order, in float64, as the reference does with .item()
      let num = this.dNumerator * b3;
      let den = 0;
      live.forEach(([, p], j) => {
        if (!p.numel) return;
        num += (d / this.d0) * dlr * sums[2 * j];
        den += sums[2 * j + 1];
      });
      if (den === 0) {
        this.stepCount++;
        return;
      }
      const dHat = (this.dCoef * num) / den;
      let dNew = d;
      if (d === this.d0) dNew = Math.max(d, dHat);
      this.dMax = Math.max(this.dMax, dHat);
      dNew = Math.min(this.dMax, dNew * this.growthRate);
      this.dNumerator = num;
      this.dDenom = den;
      this.dHat = dHat;
      this.d = dNew;
      const hc = new Float32Array(4);
      hc[0] = this.weightDecay !== 0 && this.decouple ? -this.weightDecay * dlr : 0;
      hc[1] = -dlr;
      hc[2] = dNew * this.eps;
      const hyperC = this.hyper('prodigy_c', hc);
      for (const [name, p] of live) {
        const st = this.state.get(name)!;
        st.step++;
        memo('prodigy_update', () =>
          defineKernel({
            name: 'prodigy_update',
            inputs: { M: 'f32', V: 'f32', H: 'vec4<f32>' },
            outputs: { W: 'f32' },
            each: 'thread',
            body: `  let h = H[0];
  let denom = sqrt(V[i]) + h.z;
  let p = W[i] + h.x * W[i];
  W[i] = p + h.y * (M[i] / denom);`,
          }),
        ).launch(device, { inputs: [st.m.buffer, st.v.buffer, hyperC.buffer], outputs: [p.buffer], count: p.numel });
      }
      this.k++;
      this.stepCount++;
    } finally {
      stats.dispose();
    }
  }

  stateTensors(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const [name, s] of this.state) {
      out[`${name}.exp_avg`] = s.m;
      out[`${name}.exp_avg_sq`] = s.v;
      out[`${name}.s`] = s.s;
      out[`${name}.p0`] = s.p0;
    }
    return out;
  }

  stateScalars(): Record<string, unknown> {
    const steps: Record<string, number> = {};
    for (const [name, s] of this.state) steps[name] = s.step;
    return {
      optimizer: this.name,
      lr: this.lr,
      betas: this.betas,
      beta3: this.beta3,
      eps: this.eps,
      weightDecay: this.weightDecay,
      decouple: this.decouple,
      useBiasCorrection: this.useBiasCorrection,
      safeguardWarmup: this.safeguardWarmup,
      d0: this.d0,
      dCoef: this.dCoef,
      growthRate: this.growthRate === Infinity ? 'inf' : this.growthRate,
      d: this.d,
      dMax: this.dMax,
      dNumerator: this.dNumerator,
      dDenom: this.dDenom,
      dHat: this.dHat,
      k: this.k,
      stepCount: this.stepCount,
      steps,
    };
  }

  loadState(tensors: Map<string, Tensor>, scalars: Record<string, unknown>): void {
    if (scalars.optimizer !== this.name) throw new ClearditError(`Prodigy: the checkpoint holds ${String(scalars.optimizer)} state`);
    for (const s of this.state.values()) for (const t of [s.m, s.v, s.s, s.p0]) t.dispose();
    this.state.clear();
    this.d = scalars.d as number;
    this.dMax = scalars.dMax as number;
    this.dNumerator = scalars.dNumerator as number;
    this.dDenom = scalars.dDenom as number;
    this.dHat = scalars.dHat as number;
    this.k = scalars.k as number;
    this.stepCount = scalars.stepCount as number;
    const steps = scalars.steps as Record<string, number>;
    for (const [name] of this.params) {
      if (!(name in steps)) continue;
      const get = (what: string) => {
        const t = tensors.get(`${name}.${what}`);
        if (!t) throw new ClearditError(`Prodigy: the checkpoint lacks '${name}.${what}'`);
        return t.keep();
      };
      this.state.set(name, { m: get('exp_avg'), v: get('exp_avg_sq'), s: get('s'), p0: get('p0'), step: steps[name] });
    }
  }
}
