// The flow-matching training loop: seeded batches (data.ts), the loss (flow.ts), backward, gradient
// clipping, AdamW under a warm-up + cosine schedule, and an EMA of the weights for sampling. Its state
// is the parameters, the optimizer's state, the EMA and the step count: batches, noise, times and label
// dropout are functions of (seed, step), so restoring those four resumes a run exactly (node/checkpoint.ts).
import { type Device, type Tensor, AdamW, backward, clipGradNorm, warmupCosine } from '@cleardit/tensor';
import { type ImageSet, BatchOrder, gatherBatch, imageCount } from './data.js';
import { type FlowModel, flowMatchingLoss } from './flow.js';
import { Ema } from './ema.js';

export interface TrainConfig {
  /** Steps the run makes in all (the schedule decays over them). */
  steps: number;
  batch: number;
  lr: number;
  /** Linear warm-up steps, then cosine decay to lr·minLrFactor. */
  warmup: number;
  minLrFactor: number;
  ema: number;
  weightDecay: number;
  /** Gradient-norm clip (0: none). */
  clip: number;
  /** Probability of the null label (classifier-free guidance). */
  dropLabel: number;
  seed: number;
}

export const TEACHER_DEFAULTS: TrainConfig = {
  steps: 2700,
  batch: 32,
  lr: 2e-3,
  warmup: 200,
  minLrFactor: 0.1,
  ema: 0.999,
  weightDecay: 0,
  clip: 1,
  dropLabel: 0.1,
  seed: 0,
};

export interface StepReport {
  step: number;
  loss: number;
  lr: number;
}

export class FlowTrainer {
  /** Steps done. */
  step = 0;
  readonly optimizer: AdamW;
  readonly ema: Ema;
  private readonly order: BatchOrder;

  constructor(
    readonly device: Device,
    readonly model: FlowModel,
    readonly params: ReadonlyMap<string, Tensor>,
    readonly data: ImageSet,
    readonly config: TrainConfig,
  ) {
    this.optimizer = new AdamW(params, {
      lr: config.lr,
      weightDecay: config.weightDecay,
      schedule: warmupCosine(config.warmup, config.steps, config.minLrFactor),
    });
    this.ema = new Ema(device, params, config.ema);
    this.order = new BatchOrder(config.seed, imageCount(data), config.batch);
  }

  /** One optimizer step; returns its loss (read back, so progress is real). */
  async trainStep(): Promise<StepReport> {
    const c = this.config;
    const lr = this.optimizer.currentLr;
    const { images, labels } = gatherBatch(this.data, this.order.indices(this.step));
    const lossT = flowMatchingLoss(this.device, this.model, { x0: images, labels, shape: [c.batch, ...this.data.shape] }, c.seed, this.step, {
      nullClass: this.data.classes,
      dropLabel: c.dropLabel,
    });
    const loss = (await lossT.toArray())[0];
    backward(lossT);
    lossT.dispose();
    if (c.clip > 0) clipGradNorm(this.params, c.clip).dispose();
    this.optimizer.stepNow();
    this.optimizer.zeroGrad();
    this.ema.update(this.step);
    this.step++;
    return { step: this.step, loss, lr };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.ema.dispose();
  }
}
