// How a model's attention layers attend: full attention, or CLEAR with radius r (optional down factor
// and proportional scale). Applied to every attention layer of a model, at load time or later.
import { type Device, type Tensor, full } from '@cleardit/tensor';
import { PlanCache, uploadPlan, type DevicePlan, proportionalScale } from '@cleardit/attention';
import { WeightError } from './weights.js';

export type AttentionMode = { kind: 'full' } | { kind: 'clear'; radius: number; downFactor?: number; proportionalScale?: boolean };

export const FULL: AttentionMode = { kind: 'full' };

export function describeAttention(m: AttentionMode): string {
  if (m.kind === 'full') return 'full attention';
  return `CLEAR r=${m.radius}${m.downFactor && m.downFactor > 1 ? `, down factor ${m.downFactor}` : ''}${m.proportionalScale ? ', proportional scale' : ''}`;
}

/** The plans one forward pass uses, built once per forward for its geometry and reused by every layer. */
export interface ForwardAttention {
  plan: DevicePlan;
  scale: number | undefined;
  spatialWeight: Tensor | undefined;
}

/**
 * A layer's own pooling map when the model has one (a distilled student's `spatial_weight`, [d, d]),
 * else the shared average pooling; nothing changes when the mode does not pool.
 */
export function layerAttention(a: ForwardAttention, weights: { has(name: string): boolean; get(name: string): Tensor }, name: string): ForwardAttention {
  if (!a.spatialWeight || !weights.has(name)) return a;
  const w = weights.get(name);
  const [d] = a.spatialWeight.shape;
  if (w.shape.length !== 2 || w.shape[0] !== d || w.shape[1] !== d)
    throw new WeightError(`attention: weight '${name}' has shape [${w.shape.join(', ')}], expected [${d}, ${d}] for down factor ${d}`);
  return { ...a, spatialWeight: w };
}

/**
 * Owns a model's plan cache and uploaded plans (per device, keyed by the plan's full key), so
 * switching resolutions back and forth reuses the right plan. Never module-level state.
 */
export class AttentionPlans {
  private cache = new PlanCache();
  private uploaded = new Map<string, DevicePlan>();
  private weights = new Map<number, Tensor>();

  constructor(private readonly device: Device) {}

  /** Plans for T text tokens and an h×w image grid (T + h·w tokens in all). */
  forGeometry(mode: AttentionMode, textLength: number, height: number, width: number, headDim: number): ForwardAttention {
    const L = textLength + height * width;
    const plan =
      mode.kind === 'full' ? this.cache.full(L) : this.cache.clear({ height, width, textLength, radius: mode.radius, downFactor: mode.downFactor ?? 1 });
    let dp = this.uploaded.get(plan.key);
    if (!dp) this.uploaded.set(plan.key, (dp = uploadPlan(this.device, plan)));
    const d = mode.kind === 'clear' ? (mode.downFactor ?? 1) : 1;
    let spatialWeight: Tensor | undefined;
    if (d > 1) {
      spatialWeight = this.weights.get(d);
      if (!spatialWeight) this.weights.set(d, (spatialWeight = full(this.device, [d, d], 1 / (d * d)).keep()));
    }
    const scale = mode.kind === 'clear' && mode.proportionalScale ? proportionalScale(L, headDim) : undefined;
    return { plan: dp, scale, spatialWeight };
  }

  dispose(): void {
    for (const p of this.uploaded.values()) p.dispose();
    for (const w of this.weights.values()) w.dispose();
    this.uploaded.clear();
    this.weights.clear();
  }
}
