// The benchmark definitions, once, for every runtime: matmul; full vs CLEAR attention per call on
// FLUX's head layout (24 × 128, T = 512, r = 8, 16, 32) and on the default digit model's (4 × 16,
// no text, r = 4) over growing grids; one transformer block and one sampling step of the default
// model and of a FLUX-shaped stack, full vs CLEAR; one training step (the kernels issue's train-dit).
// Weights are seeded random (speed does not depend on their values); the networks are built through
// the model-family registry's `expected` and `create`, as the loader builds them. Peers (../peers)
// time the same ids from the same shapes.
import { type Device, type Tensor, randn, matmul, tensor, normalValues, uniformValues, sub, mul, add, mseLoss, backward, AdamW } from '@cleardit/tensor';
import { clearPlan, fullPlan, uploadPlan, attentionForward, type AttentionPlan } from '@cleardit/attention';
import {
  DitTransformer,
  Weights,
  ditFamily,
  fluxFamily,
  imageIds,
  initDitWeights,
  type AttentionMode,
  type DitConfig,
  type FluxConfig,
} from '@cleardit/models';
import type { BenchCase, Prepared } from './case.js';
import { ditForwardFlops, fluxForwardFlops } from './flops.js';

/** FLUX.1's head layout. */
export const FLUX_HEADS = { heads: 24, headDim: 128, textLength: 512 };
/** The default digit model (apps/cli/models/digit-teacher.safetensors): width 64, 4 heads, depth 4. */
export const DIGIT_CONFIG: DitConfig = {
  inputSize: 32,
  patchSize: 2,
  inChannels: 1,
  hiddenSize: 64,
  depth: 4,
  numHeads: 4,
  mlpRatio: 4,
  numClasses: 10,
  learnSigma: false,
};
/** The r of the default (distilled r = 4) student. */
export const DIGIT_RADIUS = 4;
/**
 * FLUX.1's blocks (double then single, QK-norm, RoPE over (0, row, col), head dim 128, T = 512 text
 * tokens) narrowed to 4 heads (width 512), 1 double + 2 single blocks, text features of width 512,
 * so that a software adapter runs it in seconds. The full model is 24 heads, 19 + 38 blocks.
 */
export const FLUX_SHAPED: FluxConfig = {
  inChannels: 64,
  vecInDim: 768,
  contextInDim: 512,
  hiddenSize: 512,
  mlpRatio: 4,
  numHeads: 4,
  depth: 1,
  depthSingleBlocks: 2,
  axesDim: [16, 56, 56],
  theta: 10000,
  qkvBias: true,
  guidanceEmbed: true,
};
export const FLUX_SHAPED_TEXT = 512;

export interface SuiteOptions {
  quick?: boolean;
  /** Also the grids only a GPU runs in seconds: FLUX-layout attention at 128×128, the FLUX-shaped stack at 96×96 and 128×128. */
  large?: boolean;
}

const grid = (s: number) => `${s}x${s}`;

function matmulCase(n: number, quick: boolean): BenchCase {
  return {
    id: `matmul/${n}`,
    group: 'matmul',
    series: 'A·B',
    shapes: { m: n, n, k: n, dtype: 'f32' },
    size: n,
    flops: 2 * n ** 3,
    flopsRule: '2·M·N·K',
    quick,
    setup(device) {
      const a = randn(device, [n, n], 1);
      const b = randn(device, [n, n], 2);
      return { run: () => device.scope(() => void matmul(a, b)), dispose: () => [a, b].forEach((t) => t.dispose()) };
    },
  };
}

interface AttentionLayout {
  name: 'flux' | 'digit';
  heads: number;
  headDim: number;
  textLength: number;
}

function attentionCase(layout: AttentionLayout, side: number, radius: number | null, quick: boolean): BenchCase {
  const { heads: H, headDim: D, textLength: T } = layout;
  const plan: AttentionPlan = radius === null ? fullPlan(T + side * side) : clearPlan({ height: side, width: side, textLength: T, radius });
  const L = T + side * side;
  return {
    id: `attention/${layout.name}/${grid(side)}/${radius === null ? 'full' : `clear-r${radius}`}`,
    group: 'attention',
    series: `${layout.name === 'flux' ? 'FLUX layout' : 'digit layout'}, ${radius === null ? 'full' : `CLEAR r=${radius}`}`,
    shapes: {
      layout: layout.name,
      batch: 1,
      heads: H,
      headDim: D,
      textLength: T,
      grid: side,
      tokens: L,
      radius: radius ?? 'full',
      visiblePairs: plan.visiblePairs,
    },
    size: L,
    flops: 4 * plan.visiblePairs * H * D,
    flopsRule: '4·ΣM·c (ΣM visible query-key pairs, c = heads·headDim)',
    quick,
    setup(device) {
      const dp = uploadPlan(device, plan);
      const [q, k, v] = [1, 2, 3].map((seed) => randn(device, [1, H, L, D], seed));
      return {
        run: () => device.scope(() => void attentionForward(dp, q, k, v)),
        dispose: () => {
          [q, k, v].forEach((t) => t.dispose());
          dp.dispose();
        },
      };
    },
  };
}

const modeOf = (radius: number | null): AttentionMode => (radius === null ? { kind: 'full' } : { kind: 'clear', radius });
const modeName = (radius: number | null) => (radius === null ? 'full' : `CLEAR r=${radius}`);
const modeId = (radius: number | null) => (radius === null ? 'full' : `clear-r${radius}`);

function randomWeights(device: Device, keys: Map<string, number[]>): Weights {
  const w = new Weights('random');
  let seed = 1;
  for (const [k, shape] of keys) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1) || 1;
    w.set(
      k,
      tensor(
        device,
        normalValues(seed++, n).map((x) => x / Math.sqrt(fanIn)),
        shape,
      ),
    );
  }
  return w;
}

/** The digit DiT at `side`² tokens: a sampling step is one forward of the CFG pair (batch 2); a block is the model at depth 1. */
function digitCase(kind: 'block' | 'step', scale: number, radius: number | null, quick: boolean): BenchCase {
  const c: DitConfig = { ...DIGIT_CONFIG, inputSize: 32 * scale, depth: kind === 'block' ? 1 : DIGIT_CONFIG.depth };
  const side = c.inputSize / c.patchSize;
  const plan = radius === null ? fullPlan(side * side) : clearPlan({ height: side, width: side, textLength: 0, radius });
  return {
    id: `${kind}/digit/${grid(side)}/${modeId(radius)}`,
    group: kind,
    series: `digit DiT, ${modeName(radius)}`,
    shapes: {
      model: 'digit DiT',
      batch: 2,
      width: c.hiddenSize,
      heads: c.numHeads,
      depth: c.depth,
      pixels: c.inputSize,
      grid: side,
      tokens: side * side,
      radius: radius ?? 'full',
    },
    size: side * side,
    flops: 2 * ditForwardFlops(c, plan.visiblePairs),
    flopsRule: 'linears 2·in·out per token + attention 4·ΣM·c, per batch item',
    quick,
    setup(device): Prepared {
      const dit = ditFamily.create(device, c, randomWeights(device, ditFamily.expected(c)));
      dit.setAttention(modeOf(radius));
      const x = randn(device, [2, 1, c.inputSize, c.inputSize], 4);
      return { run: () => void dit.forward(x, [500, 500], [3, 10]).dispose(), dispose: () => (x.dispose(), dit.dispose()) };
    },
  };
}

/** The FLUX-shaped stack at `side`² latent tokens: a step is one forward (guidance-distilled: batch 1); a block is one double block. */
function fluxCase(kind: 'block' | 'step', side: number, radius: number | null, quick: boolean): BenchCase {
  const c: FluxConfig = kind === 'block' ? { ...FLUX_SHAPED, depth: 1, depthSingleBlocks: 0 } : FLUX_SHAPED;
  const T = FLUX_SHAPED_TEXT;
  const N = side * side;
  const plan = radius === null ? fullPlan(T + N) : clearPlan({ height: side, width: side, textLength: T, radius });
  return {
    id: `${kind}/flux/${grid(side)}/${modeId(radius)}`,
    group: kind,
    series: `FLUX-shaped, ${modeName(radius)}`,
    shapes: {
      model: kind === 'block' ? 'FLUX-shaped double block' : 'FLUX-shaped stack',
      batch: 1,
      width: c.hiddenSize,
      heads: c.numHeads,
      double: c.depth,
      single: c.depthSingleBlocks,
      textLength: T,
      grid: side,
      tokens: T + N,
      radius: radius ?? 'full',
    },
    size: T + N,
    flops: fluxForwardFlops(c, N, T, plan.visiblePairs),
    flopsRule: 'linears 2·in·out per token + attention 4·ΣM·c',
    quick,
    setup(device): Prepared {
      const flux = fluxFamily.create(device, c, randomWeights(device, fluxFamily.expected(c)));
      flux.setAttention(modeOf(radius));
      const img = randn(device, [1, N, c.inChannels], 1);
      const txt = randn(device, [1, T, c.contextInDim], 2);
      const y = randn(device, [1, c.vecInDim], 3);
      const ids = imageIds(side, side);
      return {
        run: () => void flux.forward({ img, imgIds: ids, txt, timesteps: [0.5], y, guidance: [3.5] }).dispose(),
        dispose: () => ([img, txt, y].forEach((t) => t.dispose()), flux.dispose()),
      };
    },
  };
}

/** The kernels issue's train-dit: flow matching + AdamW on the digit model's shape at batch 32, full attention. */
export const TRAIN_BATCH = 32;
function trainCase(quick: boolean): BenchCase {
  const c = DIGIT_CONFIG;
  const side = c.inputSize / c.patchSize;
  return {
    id: 'train/digit/16x16/full',
    group: 'train',
    series: 'digit DiT training step',
    shapes: {
      model: 'digit DiT',
      batch: TRAIN_BATCH,
      width: c.hiddenSize,
      heads: c.numHeads,
      depth: c.depth,
      grid: side,
      tokens: side * side,
      optimizer: 'AdamW',
    },
    size: side * side,
    flops: 3 * TRAIN_BATCH * ditForwardFlops(c, side ** 4),
    flopsRule: '3 × forward (the backward ≈ 2 forwards), batch 32',
    quick,
    setup(device): Prepared {
      const weights = initDitWeights(device, c, 1);
      const model = new DitTransformer(device, c, weights);
      const opt = new AdamW(Object.fromEntries(weights.tensors), { lr: 1e-3 });
      const B = TRAIN_BATCH;
      const S = c.inputSize;
      let i = 0;
      return {
        run: () => {
          const ts = Array.from(uniformValues(100 + i, B));
          const labels = Array.from(uniformValues(200 + i, B), (u) => Math.floor(u * 10));
          device.scope(() => {
            const x0 = tensor(device, normalValues(300 + i, B * S * S), [B, 1, S, S]);
            const eps = tensor(device, normalValues(400 + i, B * S * S), [B, 1, S, S]);
            const xt = add(x0, mul(tensor(device, ts, [B, 1, 1, 1]), sub(eps, x0))) as Tensor;
            backward(
              mseLoss(
                model.forward(
                  xt,
                  ts.map((u) => 1000 * u),
                  labels,
                ),
                sub(eps, x0),
              ),
            );
          });
          opt.stepNow();
          opt.zeroGrad();
          i++;
        },
        dispose: () => (opt.dispose(), model.dispose()),
      };
    },
  };
}

/** Every case, in order; `quick` keeps the ones marked quick (the smallest of each kind). */
export function suiteCases(o: SuiteOptions = {}): BenchCase[] {
  const flux: AttentionLayout = { name: 'flux', ...FLUX_HEADS };
  const digit: AttentionLayout = { name: 'digit', heads: DIGIT_CONFIG.numHeads, headDim: DIGIT_CONFIG.hiddenSize / DIGIT_CONFIG.numHeads, textLength: 0 };
  const cases: BenchCase[] = [];
  for (const n of [256, 512, 1024, 2048]) cases.push(matmulCase(n, n === 256));
  for (const s of [16, 32, 64]) for (const r of [null, DIGIT_RADIUS]) cases.push(attentionCase(digit, s, r, s === 16));
  const large = o.large ? [128] : [];
  for (const s of [16, 32, 48, 64, 96, ...large]) for (const r of [null, 8, 16, 32]) cases.push(attentionCase(flux, s, r, false));
  for (const kind of ['block', 'step'] as const) {
    for (const scale of [1, 2, 4]) for (const r of [null, DIGIT_RADIUS]) cases.push(digitCase(kind, scale, r, scale === 1));
    for (const s of [16, 32, 48, 64, ...(o.large ? [96, 128] : [])]) for (const r of [null, 16]) cases.push(fluxCase(kind, s, r, false));
  }
  cases.push(trainCase(false));
  return o.quick ? cases.filter((c) => c.quick) : cases;
}
