// The FLUX pipeline: text conditioning (txt [1, T, ctx], y [1, vec]: an encoded prompt, or a file of
// them as `cleardit encode` writes), seeded packed noise (or an img2img start), Euler on the rectified
// flow with FLUX's schedule (shifted for dev, plain for schnell), unpack, autoencoder decode.
// `cleardit generate` and the playground both draw through sampleFlux.
import { type Device, type Tensor, type SafetensorsReader, InputError, tensor, concat } from '@cleardit/tensor';
import { type FluxTransformer, type VaeDecoder, imageIds, toPixels } from '@cleardit/models';
import {
  fluxSchedule,
  FLOW_SAMPLERS,
  type FlowSamplerName,
  seededBatch,
  packFluxLatent,
  unpackFluxLatent,
  img2imgStart,
  img2imgLatent,
  resizeLatent,
  type OnStep,
} from '@cleardit/sampler';

/** Conditioning that does not fit the model: the file, the tensor, its shape and the one expected. */
export class ConditioningError extends InputError {
  override name = 'ConditioningError';
}

export interface FluxConditioning {
  /** [1, T, contextInDim] */
  txt: Tensor;
  /** [1, vecInDim] */
  y: Tensor;
  T: number;
}

/** Host arrays txt (T × ctx values) and y as the model's inputs, checked against its widths. */
export function fluxConditioning(device: Device, flux: FluxTransformer, txt: Float32Array, T: number, y: Float32Array): FluxConditioning {
  const c = flux.config;
  if (txt.length !== T * c.contextInDim || y.length !== c.vecInDim)
    throw new ConditioningError(
      `the text encoders give txt [${T}, ${txt.length / T}] and y [${y.length}], but this FLUX model takes txt [T, ${c.contextInDim}] and y [${c.vecInDim}]`,
    );
  return { txt: tensor(device, txt, [1, T, c.contextInDim]), y: tensor(device, y, [1, c.vecInDim]), T };
}

/** txt [T, ctx] (or [1, T, ctx]) and y [vec] (or [1, vec]) from a safetensors reader; `label` names the file in errors. */
export async function readConditioning(device: Device, flux: FluxTransformer, r: SafetensorsReader, label: string): Promise<FluxConditioning> {
  const { contextInDim: ctx, vecInDim: vec } = flux.config;
  for (const k of ['txt', 'y']) if (!r.has(k)) throw new ConditioningError(`${label}: no tensor '${k}' (expected txt [T, ${ctx}] and y [${vec}])`);
  const ts = r.info('txt').shape;
  const ys = r.info('y').shape;
  const T = ts[ts.length - 2];
  if (!((ts.length === 2 || (ts.length === 3 && ts[0] === 1)) && ts[ts.length - 1] === ctx))
    throw new ConditioningError(`${label}: 'txt' is [${ts.join(',')}], expected [T, ${ctx}]`);
  if (!((ys.length === 1 || (ys.length === 2 && ys[0] === 1)) && ys[ys.length - 1] === vec))
    throw new ConditioningError(`${label}: 'y' is [${ys.join(',')}], expected [${vec}]`);
  return { txt: tensor(device, await r.readF32('txt'), [1, T, ctx]), y: tensor(device, await r.readF32('y'), [1, vec]), T };
}

/** Pixels per latent position: 2 per up level after the first (8 for FLUX's and SD's decoders). */
export const vaeFactor = (vae: VaeDecoder) => 2 ** (vae.config.blockOutChannels.length - 1);

export interface FluxSampling {
  width: number;
  height: number;
  /** One image per seed, each from its own noise; every image has the same conditioning. */
  seeds: readonly number[];
  /** Default: 28 for dev (guidance-embedded), 4 for schnell. */
  steps?: number;
  /** FLUX.1-dev's distilled guidance (ignored by schnell). */
  guidance?: number;
  /** A flow sampler by name (@cleardit/sampler's FLOW_SAMPLERS); default euler, FLUX.1's own. */
  sampler?: FlowSamplerName;
  /** img2img: an unpacked latent [1, C, h, w] (any size; resized) and the denoising strength. */
  init?: { latent: Tensor; strength: number };
  signal?: AbortSignal;
  /** After each step; `latent` is the packed latent [B, h·w, 4C] (borrowed). */
  onStep?: OnStep;
}

export interface FluxImages {
  /** RGBA bytes, one array per seed. */
  pictures: Uint8Array[];
  /** The unpacked latent [B, C, 2h, 2w] (the caller owns it). */
  latent: Tensor;
  /** Steps run (fewer than the schedule's after an img2img start). */
  steps: number;
}

/** Checks a size against the model and autoencoder: a multiple of 2 × the VAE factor, the latent channels the model packs. */
export function checkFluxSize(flux: FluxTransformer, vae: VaeDecoder, width: number, height: number): void {
  const f = vaeFactor(vae);
  const unit = 2 * f;
  if (width % unit || height % unit || width < unit || height < unit)
    throw new ConditioningError(`size ${width}×${height} is not a multiple of ${unit} pixels (${f}× VAE × 2×2 packing)`);
  if (vae.config.latentChannels !== flux.config.inChannels / 4)
    throw new ConditioningError(`the autoencoder's latent has ${vae.config.latentChannels} channels, the FLUX model packs ${flux.config.inChannels / 4}`);
}

export async function sampleFlux(device: Device, flux: FluxTransformer, vae: VaeDecoder, cond: FluxConditioning, o: FluxSampling): Promise<FluxImages> {
  checkFluxSize(flux, vae, o.width, o.height);
  const unit = 2 * vaeFactor(vae);
  const channels = flux.config.inChannels / 4;
  const dev = flux.config.guidanceEmbed;
  const steps = o.steps ?? (dev ? 28 : 4);
  const [h, w] = [o.height / unit, o.width / unit];
  const B = o.seeds.length;
  const repeat = (t: Tensor) => (B === 1 ? t : concat(Array<Tensor>(B).fill(t), 0));
  const [txt, y] = [repeat(cond.txt), repeat(cond.y)];
  const schedule = fluxSchedule({ steps, imageSeqLen: h * w, shift: dev });
  const noise = device.scope(() => packFluxLatent(seededBatch(device, [channels, 2 * h, 2 * w], o.seeds)));
  let x = noise;
  let startIndex = 0;
  if (o.init) {
    const z = o.init.latent;
    if (z.rank !== 4 || z.shape[1] !== channels) throw new ConditioningError(`init latent is [${z.shape.join(',')}], expected [1, ${channels}, h, w]`);
    const start = img2imgStart(schedule, o.init.strength);
    startIndex = start.startIndex;
    x = device.scope(() => img2imgLatent(repeat(packFluxLatent(resizeLatent(z, 2 * h, 2 * w))), noise, start.t));
  }
  const ids = imageIds(h, w);
  let packed: Tensor;
  try {
    packed = await FLOW_SAMPLERS[o.sampler ?? 'euler'].run({
      model: (xt, t, _c, g) =>
        flux.forward({ img: xt, imgIds: ids, txt, timesteps: Array<number>(B).fill(t), y, guidance: g === undefined ? undefined : Array<number>(B).fill(g) }),
      x,
      schedule,
      cond: null,
      guidance: dev ? o.guidance : undefined,
      startIndex,
      signal: o.signal,
      onStep: o.onStep,
    });
  } finally {
    for (const t of new Set([x, noise, ...(B > 1 ? [txt, y] : [])])) t.dispose();
  }
  const latent = unpackFluxLatent(packed, 2 * h, 2 * w);
  packed.dispose();
  const image = vae.decode(latent);
  const pictures = toPixels(await image.toFloat32(), image.shape);
  image.dispose();
  return { pictures, latent, steps: steps - startIndex };
}
