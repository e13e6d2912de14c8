// CLEAR distillation (spec/clear.md §6): a student — the teacher's weights with CLEAR in every
// attention layer — learns from a teacher on samples the teacher generated. Only the parameters the
// caller marks trainable (the attention q, k, v and output projections, and the pooling maps) change.
//   x₀ a teacher sample, z ~ N(0, I), σ = (1000 − ⌊1000u⌋)/1000 with u ~ U(0, 1), x_σ = (1 − σ)x₀ + σz
//   L_fm   = mean (v_S − (z − x₀))²
//   L_pred = mean (v_S − v_T)²
//   L_attn = (1/|S|)·Σ_{l∈S} mean (A_S^l − A_T^l)²   (attention outputs of a fixed layer subset S)
//   L = L_fm + 0.5·L_pred + 0.5·L_attn,  Prodigy (lr 1) or AdamW, gradient clip 1.0, constant lr.
// Like the flow trainer, a step's batch, noise and times are functions of (seed, step), so the
// trainable parameters, the optimizer's state and the step count resume a run exactly.
import {
  type Device,
  type Tensor,
  AdamW,
  Prodigy,
  type Optimizer,
  add,
  backward,
  clipGradNorm,
  mseLoss,
  mul,
  mulScalar,
  noGrad,
  normalValues,
  sub,
  tensor,
  uniformValues,
} from '@cleardit/tensor';
import { BatchOrder, derivedSeed } from './data.js';

/** A model as distillation runs it: the velocity at x_σ [B, …] for times σ ∈ [0, 1] under `cond`, handing each attention layer's output to `tap`. */
export type TappedModel<C> = (xt: Tensor, sigma: readonly number[], cond: C, tap: (layer: number, out: Tensor) => void) => Tensor;

/** Teacher samples x₀ (host values, [count, …shape]) and a way to gather their conditioning. */
export interface SampleSet<C> {
  count: number;
  shape: readonly number[];
  x0: Float32Array;
  /** The conditioning of the samples at `indices` in step `step` (a function of both: exact resume). */
  cond(indices: readonly number[], step: number): C;
}

export interface DistillConfig {
  steps: number;
  batch: number;
  optimizer: 'prodigy' | 'adamw';
  lr: number;
  weightDecay: number;
  clip: number;
  /** Layers whose attention outputs enter L_attn (empty: no L_attn). */
  attnLayers: number[];
  /** Loss weights: L = λ_fm·L_fm + λ_pred·L_pred + λ_attn·L_attn (the recipe: 1, 0.5, 0.5). */
  lambdaFm: number;
  lambdaPred: number;
  lambdaAttn: number;
  seed: number;
}

/** The paper's optimizer settings; steps and batch are sized for this machine by the caller. */
export const DISTILL_DEFAULTS: DistillConfig = {
  steps: 400,
  batch: 16,
  optimizer: 'prodigy',
  lr: 1,
  weightDecay: 1e-4,
  clip: 1,
  attnLayers: [],
  lambdaFm: 1,
  lambdaPred: 0.5,
  lambdaAttn: 0.5,
  seed: 0,
};

export interface DistillReport {
  step: number;
  loss: number;
  fm: number;
  pred: number;
  attn: number;
}

/** σ of the recipe: uniform over the 1000 training timesteps, unshifted. */
export const recipeSigma = (u: number) => (1000 - Math.floor(1000 * u)) / 1000;

export class DistillTrainer<C> {
  step = 0;
  readonly optimizer: Optimizer & { stepNow?: () => void };
  private readonly order: BatchOrder;
  private readonly layers: Set<number>;

  constructor(
    readonly device: Device,
    readonly teacher: TappedModel<C>,
    readonly student: TappedModel<C>,
    /** The trainable parameters (they require gradients; nothing else in the student should). */
    readonly params: ReadonlyMap<string, Tensor>,
    readonly data: SampleSet<C>,
    readonly config: DistillConfig,
  ) {
    const c = config;
    this.optimizer =
      c.optimizer === 'prodigy'
        ? new Prodigy(params, { lr: c.lr, weightDecay: c.weightDecay, useBiasCorrection: true, safeguardWarmup: true })
        : new AdamW(params, { lr: c.lr, weightDecay: c.weightDecay });
    this.order = new BatchOrder(c.seed, data.count, c.batch);
    this.layers = new Set(c.attnLayers);
  }

  /** The losses of step `step` for the current parameters, as a graph (the caller backpropagates or reads it). */
  losses(step: number): { loss: Tensor; fm: Tensor; pred: Tensor; attn: Tensor } {
    const c = this.config;
    const d = this.device;
    const idx = this.order.indices(step);
    const per = this.data.shape.reduce((a, b) => a * b, 1);
    const x0h = new Float32Array(idx.length * per);
    idx.forEach((k, b) => x0h.set(this.data.x0.subarray(k * per, (k + 1) * per), b * per));
    const cond = this.data.cond(idx, step);
    const B = idx.length;
    const sigma = Array.from(uniformValues(derivedSeed(c.seed, 1, step), B), recipeSigma);
    const shape = [B, ...this.data.shape];
    const kept: Tensor[] = [];
    const tapInto = (m: Map<number, Tensor>) => (layer: number, out: Tensor) => {
      if (!this.layers.has(layer)) return;
      m.set(layer, out.keep());
      kept.push(out);
    };
    try {
      return d.scope(() => {
        const x0 = tensor(d, x0h, shape);
        const z = tensor(d, normalValues(derivedSeed(c.seed, 3, step), x0h.length), shape);
        const s = tensor(d, sigma, [B, ...this.data.shape.map(() => 1)]);
        const target = sub(z, x0);
        const xt = add(x0, mul(s, target)); // (1 − σ)·x₀ + σ·z
        const aT = new Map<number, Tensor>();
        const aS = new Map<number, Tensor>();
        const vT = noGrad(d, () => this.teacher(xt, sigma, cond, tapInto(aT)));
        const vS = this.student(xt, sigma, cond, tapInto(aS));
        const fm = mseLoss(vS, target);
        const pred = mseLoss(vS, vT);
        let attn = tensor(d, [0], [1]);
        for (const l of this.layers) {
          if (!aS.has(l) || !aT.has(l)) throw new RangeError(`distill: layer ${l} of attnLayers never reached the tap (the model has fewer attention layers)`);
          attn = add(attn, mulScalar(mseLoss(aS.get(l)!, aT.get(l)!).reshape([1]), 1 / this.layers.size));
        }
        const loss = add(add(mulScalar(fm.reshape([1]), c.lambdaFm ?? 1), mulScalar(pred.reshape([1]), c.lambdaPred)), mulScalar(attn, c.lambdaAttn));
        return { loss, fm, pred, attn };
      });
    } finally {
      for (const t of kept) t.dispose();
    }
  }

  /** One optimizer step; returns its losses (read back, so progress is real). */
  async trainStep(): Promise<DistillReport> {
    const l = this.losses(this.step);
    const [loss, fm, pred, attn] = await Promise.all([l.loss, l.fm, l.pred, l.attn].map(async (t) => (await t.toArray())[0]));
    backward(l.loss);
    for (const t of Object.values(l)) t.dispose();
    if (this.config.clip > 0) clipGradNorm(this.params, this.config.clip).dispose();
    if (this.optimizer.stepNow) this.optimizer.stepNow();
    else await this.optimizer.step();
    this.optimizer.zeroGrad();
    this.step++;
    return { step: this.step, loss, fm, pred, attn };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
