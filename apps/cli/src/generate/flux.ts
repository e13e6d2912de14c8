// FLUX in `cleardit generate`: the text conditioning (a prompt encoded by prompt.ts, or a precomputed
// --embeddings file), an optional img2img start from a saved latent, then @cleardit/pipelines'
// sampleFlux (seeded packed noise, Euler on the rectified flow, unpack, autoencoder decode).
import type { Device, Tensor } from '@cleardit/tensor';
import { SafetensorsReader, tensor } from '@cleardit/tensor';
import { FileSource } from '@cleardit/tensor/node';
import type { FluxTransformer, VaeDecoder } from '@cleardit/models';
import { fluxSchedule, img2imgStart, isFlowSampler, FLOW_SAMPLERS, samplerLabel } from '@cleardit/sampler';
import { sampleFlux, readConditioning, fluxConditioning, checkFluxSize, vaeFactor, type FluxConditioning } from '@cleardit/pipelines';
import { UsageError } from '../exit.js';
import type { GenerateSpec } from './spec.js';
import type { Reporter } from './progress.js';
import { batchSeeds, type Generated } from './dit.js';
import type { PromptEmbedding } from './prompt.js';

async function embeddingsFile(device: Device, path: string, flux: FluxTransformer): Promise<FluxConditioning> {
  const r = await SafetensorsReader.open(await FileSource.open(path));
  try {
    return await readConditioning(device, flux, r, `--embeddings ${path}`);
  } finally {
    await r.close();
  }
}

async function initLatent(device: Device, path: string): Promise<Tensor> {
  const r = await SafetensorsReader.open(await FileSource.open(path));
  try {
    if (!r.has('latent')) throw new UsageError(`--init-latent ${path}: no tensor 'latent' (write one with --save-latent)`);
    return tensor(device, await r.readF32('latent'), r.info('latent').shape);
  } finally {
    await r.close();
  }
}

export async function runFlux(
  device: Device,
  flux: FluxTransformer,
  vae: VaeDecoder,
  spec: GenerateSpec,
  report: Reporter,
  signal: AbortSignal,
  prompt?: PromptEmbedding,
): Promise<Generated> {
  if (!prompt && !spec.embeddings)
    throw new UsageError(
      'FLUX needs text conditioning: pass -p PROMPT (with a FLUX folder, or --clip and --t5), or --embeddings FILE (txt [T, 4096] and y [768], from cleardit encode)',
    );
  const unit = 2 * vaeFactor(vae);
  const width = spec.width ?? 64 * unit;
  const height = spec.height ?? 64 * unit;
  checkFluxSize(flux, vae, width, height);
  const sampler = spec.sampler ?? 'euler';
  if (!isFlowSampler(sampler)) throw new UsageError(`--sampler ${sampler} is DiT's; FLUX samples with ${Object.keys(FLOW_SAMPLERS).join(' or ')}`);
  const dev = flux.config.guidanceEmbed;
  const steps = spec.steps ?? (dev ? 28 : 4);
  const cond = prompt ? fluxConditioning(device, flux, prompt.txt, prompt.T, prompt.y) : await embeddingsFile(device, spec.embeddings!, flux);
  const init = spec.initLatent ? { latent: await initLatent(device, spec.initLatent), strength: spec.strength } : undefined;
  const schedule = fluxSchedule({ steps, imageSeqLen: (width / unit) * (height / unit), shift: dev });
  report.start(init ? img2imgStart(schedule, spec.strength).steps : steps, { model: 'flux', width, height });
  try {
    const r = await sampleFlux(device, flux, vae, cond, {
      width,
      height,
      seeds: batchSeeds(spec),
      steps,
      guidance: spec.guidance,
      sampler,
      init,
      signal,
      onStep: ({ step, total, t }) => report.step(step, total, t),
    });
    return {
      pictures: r.pictures,
      channels: 4,
      latent: r.latent,
      width,
      height,
      steps: r.steps,
      sampler: samplerLabel(sampler),
      params: { Guidance: dev ? spec.guidance : 'none (schnell)', ...(spec.initLatent ? { 'Denoising strength': spec.strength } : {}) },
    };
  } finally {
    cond.txt.dispose();
    cond.y.dispose();
    init?.latent.dispose();
  }
}
