// Digit pipeline (the bundled default models, and anything `cleardit train` / `cleardit distill`
// writes): a class-conditional flow-matching DiT in pixel space, no autoencoder. Seeded noise →
// Euler with classifier-free guidance → a grayscale PNG: one digit with --class, else the ten
// classes in a row, each from the same noise (so a grid cell equals `--class K` with that seed).
import type { Device } from '@cleardit/tensor';
import type { DitTransformer } from '@cleardit/models';
import { UsageError } from '../exit.js';
import { DIGIT_CFG, digitNoise, gridPixels, sampleDigits } from '@cleardit/pipelines';
import type { GenerateSpec } from './spec.js';
import type { Reporter } from './progress.js';
import { batchSeeds, checkDitSize, type Generated } from './dit.js';
import { isFlowSampler, FLOW_SAMPLERS, samplerLabel } from '@cleardit/sampler';

export async function runDigits(device: Device, dit: DitTransformer, spec: GenerateSpec, report: Reporter, signal: AbortSignal): Promise<Generated> {
  const c = dit.config;
  const side = spec.width ?? spec.height ?? c.inputSize;
  if ((spec.height ?? side) !== side)
    throw new UsageError(`size ${spec.width}×${spec.height}: digit models draw square images here (the grid is a row of squares)`);
  if (side % c.patchSize) throw new UsageError(`size ${side}×${side} is not a multiple of the patch size ${c.patchSize}`);
  if (spec.initLatent || spec.saveLatent) throw new UsageError('--init-latent and --save-latent are for latent models; a digit model draws pixels directly');
  const sampler = spec.sampler ?? 'euler';
  if (!isFlowSampler(sampler))
    throw new UsageError(`--sampler ${sampler}: a flow-matching digit model samples with ${Object.keys(FLOW_SAMPLERS).join(' or ')}`);
  if (spec.classId !== undefined && spec.classId > c.numClasses - 1)
    throw new UsageError(`--class ${spec.classId}: this model has classes 0..${c.numClasses - 1}`);
  const seeds = batchSeeds(spec);
  const perSeed = spec.classId === undefined ? c.numClasses : 1;
  checkDitSize(device, c, 2 * perSeed * seeds.length, side, side, c.patchSize);
  const steps = spec.steps ?? 20;
  const cfg = spec.cfgScale ?? DIGIT_CFG;
  // per seed: the ten classes (or the one asked for), each from that seed's noise
  const classes = spec.classId === undefined ? Array.from({ length: c.numClasses }, (_, k) => k) : [spec.classId];
  const labels = seeds.flatMap(() => classes);
  report.start(steps, { model: 'dit', width: side * perSeed, height: side });
  const img = await sampleDigits(
    device,
    dit,
    labels,
    digitNoise(
      seeds.flatMap((s) => classes.map(() => s)),
      side,
    ),
    { steps, cfg, side, sampler, signal, onStep: ({ step, total, t }) => report.step(step, total, t) },
  );
  const values = await img.toFloat32();
  img.dispose();
  const per = perSeed * side * side;
  const pictures = seeds.map((_, i) => gridPixels(values.subarray(i * per, (i + 1) * per), perSeed, side).pixels);
  return {
    pictures,
    channels: 1,
    width: side * perSeed,
    height: side,
    steps,
    sampler: samplerLabel(sampler),
    params: { 'CFG scale': cfg, Class: spec.classId ?? '0-9' },
  };
}
