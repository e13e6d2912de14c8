// Attention as ops: full (flash) attention and CLEAR, forward and backward, over [B, H, L, D] tensors
// with text tokens first and image tokens row-major (the order FLUX uses; no permutation needed: the
// kernels address image tiles by (y, x)). The plan says which keys each query sees; uploadPlan()
// puts it on a device once, and every layer of a forward pass reuses it.

import { type Device, Tensor, tensor, full, concat, ShapeError, fmtShape, memo } from '@cleardit/tensor';
import { fullPlan, type AttentionPlan } from './plan.js';
import { attentionKernel, chunkFor, deltaKernel, type KernelRole } from './kernels.js';
import { pool, unpoolAdd, spatialWeightGrad } from './pool.js';

/** A plan on a device: its traversals as u32 buffers (items, then segments). */
export interface DevicePlan {
  readonly plan: AttentionPlan;
  readonly device: Device;
  readonly forward: Tensor;
  readonly backward: Tensor;
  dispose(): void;
}

export function uploadPlan(device: Device, plan: AttentionPlan): DevicePlan {
  const pack = (t: AttentionPlan['forward']) => {
    const words = new Uint32Array(t.items.length + t.segments.length);
    words.set(t.items);
    words.set(t.segments, t.items.length);
    return tensor(device, words, [words.length], 'u32').keep();
  };
  const forward = pack(plan.forward);
  const backward = pack(plan.backward);
  return {
    plan,
    device,
    forward,
    backward,
    dispose() {
      forward.dispose();
      backward.dispose();
    },
  };
}

export interface AttentionOptions {
  /** Softmax scale; defaults to 1/√D. See proportionalScale() for CLEAR's high-resolution option. */
  scale?: number;
  /** The down-factor pooling map [d, d]; defaults to 1/d² (average pooling). */
  spatialWeight?: Tensor;
}

/** CLEAR's proportional-attention scale √(log_4608(L) / D), with L = T + N (spec/clear.md §4). */
export function proportionalScale(queryLength: number, headDim: number): number {
  return Math.sqrt(Math.log(queryLength) / Math.log(4608) / headDim);
}

function check(op: string, plan: AttentionPlan, q: Tensor, k: Tensor, v: Tensor): { B: number; H: number; D: number } {
  if (q.rank !== 4) throw new ShapeError(op, `q must be [B, H, L, D], got ${fmtShape(q.shape)}`);
  const [B, H, L, D] = q.shape;
  const keyLen = plan.downFactor > 1 ? plan.queryLength : plan.keyLength;
  if (L !== plan.queryLength) throw new ShapeError(op, `q ${fmtShape(q.shape)} has ${L} tokens, the plan (${plan.key}) expects ${plan.queryLength}`);
  for (const [name, t] of [
    ['k', k],
    ['v', v],
  ] as const)
    if (t.rank !== 4 || t.shape[0] !== B || t.shape[1] !== H || t.shape[2] !== keyLen || t.shape[3] !== D)
      throw new ShapeError(op, `${name} must be [${B},${H},${keyLen},${D}], got ${fmtShape(t.shape)}`);
  if (D % 4) throw new ShapeError(op, `head dim ${D} must be a multiple of 4`);
  if (B * H > q.device.limits.maxComputeWorkgroupsPerDimension) throw new ShapeError(op, `batch × heads = ${B * H} exceeds the adapter's workgroup grid`);
  return { B, H, D };
}

/**
 * Own tokens per invocation on software adapters: up to 8 (8 invocations fill one 256-bit llvmpipe
 * SIMD group), fewer for wide heads, whose fully unrolled kernels otherwise take minutes to compile.
 */
export function softwareTokensPerInvocation(D: number): number {
  return Math.max(1, Math.min(8, 256 / D));
}

function launch(
  role: KernelRole,
  dp: DevicePlan,
  D: number,
  BH: number,
  scale: number,
  inputs: GPUBuffer[],
  outputs: GPUBuffer[],
  ownLength: number,
  partnerLength: number,
): void {
  const t = role === 'dkdv' ? dp.plan.backward : dp.plan.forward;
  const shape = {
    role,
    plan: dp.plan,
    D,
    ownLength,
    partnerLength,
    scale,
    chunk: chunkFor(D, dp.device.limits.maxComputeWorkgroupStorageSize),
    segmentOffset: t.items.length,
    tokensPerInvocation: dp.device.kernels === 'software' ? softwareTokensPerInvocation(D) : 1,
  };
  // the plan's key names its geometry; everything else that shapes the text is listed beside it
  const { plan, ...rest } = shape;
  const kernel = memo(`attention:${plan.key}:${JSON.stringify(rest)}`, () => attentionKernel(shape));
  kernel.launch(dp.device, { inputs, outputs, workgroups: [t.itemCount, BH] });
}

function pooledKeys(dp: DevicePlan, k: Tensor, v: Tensor, weight: Tensor): { kx: Tensor; vx: Tensor } {
  return dp.device.scope(() => ({ kx: concat([k, pool(dp.plan, k, weight)], 2), vx: concat([v, pool(dp.plan, v, weight)], 2) }));
}

function weightOrDefault(dp: DevicePlan, opts: AttentionOptions): Tensor | undefined {
  const d = dp.plan.downFactor;
  if (d === 1) return undefined;
  if (opts.spatialWeight) {
    if (opts.spatialWeight.numel !== d * d)
      throw new ShapeError('clearAttention', `spatialWeight must be [${d},${d}], got ${fmtShape(opts.spatialWeight.shape)}`);
    return opts.spatialWeight;
  }
  return full(dp.device, [d, d], 1 / (d * d));
}

export interface ForwardResult {
  out: Tensor;
  /** [B, H, L, 2]: log-sum-exp per query (x), for the backward pass. */
  stats: Tensor;
}

/** Attention forward over the plan: out [B, H, L, D] and the softmax statistics. */
export function attentionForward(dp: DevicePlan, q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): ForwardResult {
  const { B, H, D } = check('attention', dp.plan, q, k, v);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  return dp.device.scope(() => {
    const w = weightOrDefault(dp, opts);
    const { kx, vx } = w ? pooledKeys(dp, k, v, w) : { kx: k, vx: v };
    const out = Tensor.empty(dp.device, q.shape);
    const stats = Tensor.empty(dp.device, [B, H, dp.plan.queryLength, 2]);
    launch(
      'forward',
      dp,
      D,
      B * H,
      scale,
      [q.buffer, kx.buffer, vx.buffer, dp.forward.buffer],
      [out.buffer, stats.buffer],
      dp.plan.queryLength,
      dp.plan.keyLength,
    );
    return { out, stats };
  });
}

export interface BackwardResult {
  dq: Tensor;
  dk: Tensor;
  dv: Tensor;
  /** Gradient of the pooling map, when the plan has a down factor. */
  dSpatialWeight?: Tensor;
}

/** Gradients of sum(out · dout) given the forward's out and stats. */
export function attentionBackward(
  dp: DevicePlan,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  fwd: ForwardResult,
  dout: Tensor,
  opts: AttentionOptions = {},
): BackwardResult {
  const { B, H, D } = check('attention backward', dp.plan, q, k, v);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  const L = dp.plan.queryLength;
  const Lk = dp.plan.keyLength;
  return dp.device.scope(() => {
    const w = weightOrDefault(dp, opts);
    const { kx, vx } = w ? pooledKeys(dp, k, v, w) : { kx: k, vx: v };
    // Δ_i = dO_i · out_i into stats[..., 1]
    memo(`attention_delta:${D}`, () => deltaKernel(D)).launch(dp.device, {
      inputs: [fwd.out.buffer, dout.buffer],
      outputs: [fwd.stats.buffer],
      count: B * H * L,
    });
    const dq = Tensor.empty(dp.device, q.shape);
    launch('dq', dp, D, B * H, scale, [q.buffer, dout.buffer, fwd.stats.buffer, kx.buffer, vx.buffer, dp.forward.buffer], [dq.buffer], L, Lk);
    const dkx = Tensor.empty(dp.device, kx.shape);
    const dvx = Tensor.empty(dp.device, vx.shape);
    launch('dkdv', dp, D, B * H, scale, [kx.buffer, vx.buffer, q.buffer, dout.buffer, fwd.stats.buffer, dp.backward.buffer], [dkx.buffer, dvx.buffer], Lk, L);
    if (!w) return { dq, dk: dkx, dv: dvx };
    return { dq, dk: unpoolAdd(dp.plan, dkx, w), dv: unpoolAdd(dp.plan, dvx, w), dSpatialWeight: spatialWeightGrad(dp.plan, k, v, dkx, dvx) };
  });
}

/** Full attention, flash style (the L×L matrix is never stored): softmax(scale·q·kᵀ)·v. */
export function flashAttention(q: Tensor, k: Tensor, v: Tensor, opts: { scale?: number } = {}): Tensor {
  const dp = uploadPlan(q.device, fullPlan(q.shape[2], k.shape[2]));
  try {
    const { out, stats } = attentionForward(dp, q, k, v, opts);
    stats.dispose();
    return out;
  } finally {
    dp.dispose();
  }
}
