// DiT pipeline: seeded noise → DDPM (or DDIM) with classifier-free guidance → SD-VAE decode.
import type { Device, Tensor } from '@cleardit/tensor';
import { DitTransformer, VaeDecoder } from '@cleardit/models';
import { diffusionSchedule, ddpm, ddim, seededBatch, noiseStreams, isDiffusionSampler, DIFFUSION_SAMPLERS, samplerLabel } from '@cleardit/sampler';
import { toPixels } from '@cleardit/models';
import { vaeFactor } from '@cleardit/pipelines';
import { UsageError } from '../exit.js';
import type { GenerateSpec } from './spec.js';
import type { Reporter } from './progress.js';

export interface Generated {
  /** One picture per seed (spec.seed + i), row-major: RGBA, or grayscale when `channels` is 1. */
  pictures: Uint8Array[];
  channels: 1 | 4;
  /** Latent models: the final latents [B, …] (for --save-latent). */
  latent?: Tensor;
  width: number;
  height: number;
  steps: number;
  sampler: string;
  params: Record<string, string | number>;
}

/**
 * Refuses, before any work, a size whose largest activation (the MLP's hidden layer, batch × tokens ×
 * 4·width floats) would not fit one storage binding of this adapter.
 */
export function checkDitSize(device: Device, c: DitTransformer['config'], batch: number, width: number, height: number, unit: number): void {
  const tokens = (width / unit) * (height / unit);
  const bytes = batch * tokens * Math.round(c.hiddenSize * c.mlpRatio) * 4;
  const max = device.limits.maxStorageBufferBindingSize;
  if (bytes > max)
    throw new UsageError(
      `size ${width}×${height}: ${tokens.toLocaleString('en')} tokens need ${(bytes / 2 ** 20).toFixed(0)} MiB buffers, above this adapter's ${(max / 2 ** 20).toFixed(0)} MiB per binding; pick a smaller size`,
    );
}

/** The seeds of a batched run: spec.seed, spec.seed + 1, … (one image each). */
export const batchSeeds = (spec: GenerateSpec) => Array.from({ length: spec.batchCount }, (_, i) => spec.seed + i);

export async function runDit(
  device: Device,
  dit: DitTransformer,
  vae: VaeDecoder,
  spec: GenerateSpec,
  report: Reporter,
  signal: AbortSignal,
): Promise<Generated> {
  const c = dit.config;
  const f = vaeFactor(vae);
  const native = c.inputSize * f;
  const width = spec.width ?? native;
  const height = spec.height ?? native;
  const unit = f * c.patchSize;
  if (width % unit || height % unit) throw new UsageError(`size ${width}×${height} is not a multiple of ${unit} pixels (${f}× VAE × patch ${c.patchSize})`);
  checkDitSize(device, c, (spec.cfgScale !== undefined && spec.cfgScale <= 1 ? 1 : 2) * spec.batchCount, width, height, unit);
  const classId = spec.classId ?? 0;
  const cfgScale = spec.cfgScale ?? 4;
  if (classId > c.numClasses - 1) throw new UsageError(`--class ${spec.classId}: this model has classes 0..${c.numClasses - 1}`);
  if (spec.initLatent) throw new UsageError('--init-latent is for FLUX (rectified-flow img2img); DiT sampling starts from noise');
  const steps = spec.steps ?? 50;
  const sampler = spec.sampler ?? 'ddpm';
  if (!isDiffusionSampler(sampler))
    throw new UsageError(`--sampler ${sampler} is for flow models; DiT samples with ${Object.keys(DIFFUSION_SAMPLERS).join(' or ')}`);
  const schedule = diffusionSchedule({ respacing: String(steps) });
  const seeds = batchSeeds(spec);
  const x = seededBatch(device, [c.inChannels, height / f, width / f], seeds);
  const model = (xt: Tensor, t: number, labels: readonly number[]) =>
    dit.forward(
      xt,
      labels.map(() => t),
      [...labels],
    );
  const common = {
    model,
    x,
    schedule,
    labels: seeds.map(() => classId),
    guidanceScale: cfgScale,
    nullClass: c.numClasses,
    signal,
    onStep: ({ step, total, t }: { step: number; total: number; t: number }) => report.step(step, total, t),
  };
  report.start(steps, { model: 'dit', width, height });
  const latent =
    sampler === 'ddim'
      ? await ddim(common)
      : await ddpm({
          ...common,
          noise: noiseStreams(
            device,
            seeds.map((s) => s + 1),
          ),
        });
  x.dispose();
  const image = vae.decode(latent);
  const pictures = toPixels(await image.toFloat32(), image.shape);
  image.dispose();
  return { pictures, channels: 4, latent, width, height, steps, sampler: samplerLabel(sampler), params: { 'CFG scale': cfgScale, Class: classId } };
}
