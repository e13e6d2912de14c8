// FLUX pipeline: the text conditioning (a prompt encoded by prompt.ts, or a precomputed --embeddings
// file), seeded packed noise (or an img2img start from a saved latent, resized), Euler on the
// rectified flow, unpack, autoencoder decode.
import { type Device, type Tensor, tensor, concat, SafetensorsReader } from '@cleardit/tensor';
import { FileSource } from '@cleardit/tensor/node';
import { FluxTransformer, VaeDecoder, imageIds, toPixels } from '@cleardit/models';
import { fluxSchedule, eulerFlow, seededBatch, packFluxLatent, unpackFluxLatent, img2imgStart, img2imgLatent, resizeLatent } from '@cleardit/sampler';
import { UsageError } from '../exit.js';
import type { GenerateSpec } from './spec.js';
import type { Reporter } from './progress.js';
import { batchSeeds, vaeFactor, type Generated } from './dit.js';
import type { PromptEmbedding } from './prompt.js';

/** An encoded prompt as the model's inputs, checked against its widths. */
function promptInputs(device: Device, e: PromptEmbedding, flux: FluxTransformer): { txt: Tensor; y: Tensor; T: number } {
  const c = flux.config;
  if (e.txt.length !== e.T * c.contextInDim || e.y.length !== c.vecInDim)
    throw new UsageError(
      `the text encoders give txt [${e.T}, ${e.txt.length / e.T}] and y [${e.y.length}], but this FLUX model takes txt [T, ${c.contextInDim}] and y [${c.vecInDim}]`,
    );
  return { txt: tensor(device, e.txt, [1, e.T, c.contextInDim]), y: tensor(device, e.y, [1, c.vecInDim]), T: e.T };
}

/** txt [T, ctx] (or [1, T, ctx]) and y [vec] (or [1, vec]) from a safetensors file, checked against the model. */
async function embeddings(device: Device, path: string, flux: FluxTransformer): Promise<{ txt: Tensor; y: Tensor; T: number }> {
  const r = await SafetensorsReader.open(await FileSource.open(path));
  try {
    for (const k of ['txt', 'y'])
      if (!r.has(k))
        throw new UsageError(`--embeddings ${path}: no tensor '${k}' (expected txt [T, ${flux.config.contextInDim}] and y [${flux.config.vecInDim}])`);
    const ts = r.info('txt').shape;
    const ys = r.info('y').shape;
    const T = ts[ts.length - 2];
    const okTxt = (ts.length === 2 || (ts.length === 3 && ts[0] === 1)) && ts[ts.length - 1] === flux.config.contextInDim;
    const okY = (ys.length === 1 || (ys.length === 2 && ys[0] === 1)) && ys[ys.length - 1] === flux.config.vecInDim;
    if (!okTxt) throw new UsageError(`--embeddings ${path}: 'txt' is [${ts.join(',')}], expected [T, ${flux.config.contextInDim}]`);
    if (!okY) throw new UsageError(`--embeddings ${path}: 'y' is [${ys.join(',')}], expected [${flux.config.vecInDim}]`);
    return {
      txt: tensor(device, await r.readF32('txt'), [1, T, flux.config.contextInDim]),
      y: tensor(device, await r.readF32('y'), [1, flux.config.vecInDim]),
      T,
    };
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
  const f = vaeFactor(vae);
  const unit = 2 * f;
  const width = spec.width ?? 64 * unit;
  const height = spec.height ?? 64 * unit;
  if (width % unit || height % unit) throw new UsageError(`size ${width}×${height} is not a multiple of ${unit} pixels (${f}× VAE × 2×2 packing)`);
  const channels = flux.config.inChannels / 4;
  if (vae.config.latentChannels !== channels)
    throw new UsageError(`--vae: its latent has ${vae.config.latentChannels} channels, the FLUX model packs ${channels}`);
  const sampler = spec.sampler ?? 'euler';
  if (sampler !== 'euler') throw new UsageError(`--sampler ${sampler} is DiT's; FLUX samples with euler`);
  const dev = flux.config.guidanceEmbed;
  const steps = spec.steps ?? (dev ? 28 : 4);
  const [h, w] = [height / unit, width / unit];
  const seeds = batchSeeds(spec);
  const B = seeds.length;
  const one = prompt ? promptInputs(device, prompt, flux) : await embeddings(device, spec.embeddings!, flux);
  // every image of the batch has the same prompt; item i its own noise (seed + i)
  const repeat = (t: Tensor) => (B === 1 ? t : concat(Array<Tensor>(B).fill(t), 0));
  const [txt, y] = [repeat(one.txt), repeat(one.y)];
  const schedule = fluxSchedule({ steps, imageSeqLen: h * w, shift: dev });
  const noise = packFluxLatent(seededBatch(device, [channels, 2 * h, 2 * w], seeds));
  let x = noise;
  let startIndex = 0;
  if (spec.initLatent) {
    const r = await SafetensorsReader.open(await FileSource.open(spec.initLatent));
    if (!r.has('latent')) throw new UsageError(`--init-latent ${spec.initLatent}: no tensor 'latent' (write one with --save-latent)`);
    const z = tensor(device, await r.readF32('latent'), r.info('latent').shape);
    await r.close();
    if (z.rank !== 4 || z.shape[1] !== channels)
      throw new UsageError(`--init-latent ${spec.initLatent}: 'latent' is [${z.shape.join(',')}], expected [1, ${channels}, h, w]`);
    const start = img2imgStart(schedule, spec.strength);
    startIndex = start.startIndex;
    x = img2imgLatent(repeat(packFluxLatent(resizeLatent(z, 2 * h, 2 * w))), noise, start.t);
  }
  const ids = imageIds(h, w);
  report.start(steps - startIndex, { model: 'flux', width, height });
  const packed = await eulerFlow({
    model: (xt, t, _c, g) =>
      flux.forward({ img: xt, imgIds: ids, txt, timesteps: Array<number>(B).fill(t), y, guidance: g === undefined ? undefined : Array<number>(B).fill(g) }),
    x,
    schedule,
    cond: null,
    guidance: dev ? spec.guidance : undefined,
    startIndex,
    signal,
    onStep: ({ step, total, t }) => report.step(step, total, t),
  });
  const latent = unpackFluxLatent(packed, 2 * h, 2 * w);
  const image = vae.decode(latent);
  const pictures = toPixels(await image.toFloat32(), image.shape);
  image.dispose();
  return {
    pictures,
    channels: 4,
    latent,
    width,
    height,
    steps: steps - startIndex,
    sampler: 'Euler',
    params: { Guidance: dev ? spec.guidance : 'none (schnell)', ...(spec.initLatent ? { 'Denoising strength': spec.strength } : {}) },
  };
}
