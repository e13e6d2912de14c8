// DiT pipeline: seeded noise → DDPM (or DDIM) with classifier-free guidance → SD-VAE decode.
import type { Device, Tensor } from '@cleardit/tensor';
import { DitTransformer, VaeDecoder } from '@cleardit/models';
import { diffusionSchedule, ddpm, ddim, seededNoise, noiseStream } from '@cleardit/sampler';
import { UsageError } from '../exit.js';
import type { GenerateSpec } from './spec.js';
import type { Reporter } from './progress.js';

export interface Generated {
  /** Latent models: the final latent and the decoded image [1, 3, H, W]. */
  latent?: Tensor;
  image?: Tensor;
  /** Pixel models: grayscale pixels, row-major. */
  gray?: Uint8Array;
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
  if (bytes > max) throw new UsageError(`size ${width}×${height}: ${tokens.toLocaleString('en')} tokens need ${(bytes / 2 ** 20).toFixed(0)} MiB buffers, above this adapter's ${(max / 2 ** 20).toFixed(0)} MiB per binding; pick a smaller size`);
}

/** Pixels per latent position: 2 per up level after the first (8 for FLUX's and SD's decoders). */
export const vaeFactor = (vae: VaeDecoder) => 2 ** (vae.config.blockOutChannels.length - 1);

export async function runDit(device: Device, dit: DitTransformer, vae: VaeDecoder, spec: GenerateSpec, report: Reporter, signal: AbortSignal): Promise<Generated> {
  const c = dit.config;
  const f = vaeFactor(vae);
  const native = c.inputSize * f;
  const width = spec.width ?? native;
  const height = spec.height ?? native;
  const unit = f * c.patchSize;
  if (width % unit || height % unit) throw new UsageError(`size ${width}×${height} is not a multiple of ${unit} pixels (${f}× VAE × patch ${c.patchSize})`);
  checkDitSize(device, c, spec.cfgScale !== undefined && spec.cfgScale <= 1 ? 1 : 2, width, height, unit);
  const classId = spec.classId ?? 0;
  const cfgScale = spec.cfgScale ?? 4;
  if (classId > c.numClasses - 1) throw new UsageError(`--class ${spec.classId}: this model has classes 0..${c.numClasses - 1}`);
  if (spec.initLatent) throw new UsageError('--init-latent is for FLUX (rectified-flow img2img); DiT sampling starts from noise');
  const steps = spec.steps ?? 50;
  const sampler = spec.sampler ?? 'ddpm';
  if (sampler === 'euler') throw new UsageError('--sampler euler is FLUX\'s; DiT samples with ddpm or ddim');
  const schedule = diffusionSchedule({ respacing: String(steps) });
  const x = seededNoise(device, [1, c.inChannels, height / f, width / f], spec.seed);
  const model = (xt: Tensor, t: number, labels: readonly number[]) => dit.forward(xt, labels.map(() => t), [...labels]);
  const common = { model, x, schedule, labels: [classId], guidanceScale: cfgScale, nullClass: c.numClasses, signal, onStep: ({ step, total, t }: { step: number; total: number; t: number }) => report.step(step, total, t) };
  report.start(steps, { model: 'dit', width, height });
  const latent = sampler === 'ddim' ? await ddim(common) : await ddpm({ ...common, noise: noiseStream(device, spec.seed + 1) });
  x.dispose();
  const image = vae.decode(latent);
  return { latent, image, width, height, steps, sampler: sampler.toUpperCase(), params: { 'CFG scale': cfgScale, Class: classId } };
}
