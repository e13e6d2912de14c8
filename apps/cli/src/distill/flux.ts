// The FLUX side of `cleardit distill` (the paper's model): teacher samples are packed latents drawn
// by the teacher (Euler, guidance 3.5 for dev) from prompt embeddings, and the student runs at the
// guidance the recipe uses (3.5). A FLUX data file holds x0 [n, N, in], txt [n, T, ctx], y [n, vec]
// and the token grid (height, width) in its metadata.
import { existsSync } from 'node:fs';
import { type Device, type Tensor, SafetensorsReader, normalValues, tensor } from '@cleardit/tensor';
import { FileSource, writeSafetensorsFile } from '@cleardit/tensor/node';
import { FluxTransformer, imageIds } from '@cleardit/models';
import { eulerFlow, fluxSchedule, packFluxLatent } from '@cleardit/sampler';
import type { SampleSet, TappedModel } from '@cleardit/distill';
import { UsageError } from '../exit.js';
import { sampleSeed } from './digits.js';

/** Per-sample conditioning, gathered on the host: txt [B, T, ctx] and y [B, vec]. */
export interface FluxCond {
  txt: Float32Array;
  y: Float32Array;
}

export interface FluxSamples {
  /** Token grid of the packed latent. */
  height: number;
  width: number;
  x0: Float32Array; // [n, h·w, in]
  txt: Float32Array; // [n, T, ctx]
  y: Float32Array; // [n, vec]
  count: number;
  textLength: number;
}

/** The recipe's guidance for FLUX.1-dev (schnell has no guidance embedding). */
export const RECIPE_GUIDANCE = 3.5;

export function tappedFlux(flux: FluxTransformer, height: number, width: number, textLength: number): TappedModel<FluxCond> {
  const c = flux.config;
  const ids = imageIds(height, width);
  return (xt, sigma, cond, tap) => {
    const B = sigma.length;
    const d = flux.device;
    return flux.forward(
      {
        img: xt,
        imgIds: ids,
        txt: tensor(d, cond.txt, [B, textLength, c.contextInDim]),
        y: tensor(d, cond.y, [B, c.vecInDim]),
        timesteps: [...sigma],
        guidance: c.guidanceEmbed ? sigma.map(() => RECIPE_GUIDANCE) : undefined,
      },
      { attention: tap },
    );
  };
}

export function fluxSampleSet(s: FluxSamples, config: { contextInDim: number; vecInDim: number }): SampleSet<FluxCond> {
  const perTxt = s.textLength * config.contextInDim;
  const N = s.height * s.width;
  return {
    count: s.count,
    shape: [N, s.x0.length / (s.count * N)],
    x0: s.x0,
    cond: (idx) => {
      const txt = new Float32Array(idx.length * perTxt);
      const y = new Float32Array(idx.length * config.vecInDim);
      idx.forEach((k, b) => {
        txt.set(s.txt.subarray(k * perTxt, (k + 1) * perTxt), b * perTxt);
        y.set(s.y.subarray(k * config.vecInDim, (k + 1) * config.vecInDim), b * config.vecInDim);
      });
      return { txt, y };
    },
  };
}

/** Prompt embeddings (txt [T, ctx] or [1, T, ctx], y [vec] or [1, vec]) from the files `--embeddings` names. */
export async function readEmbeddings(paths: readonly string[], flux: FluxTransformer): Promise<{ txt: Float32Array; y: Float32Array; T: number }[]> {
  const out: { txt: Float32Array; y: Float32Array; T: number }[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UsageError(`--embeddings ${p}: no such file`);
    const r = await SafetensorsReader.open(await FileSource.open(p));
    try {
      for (const k of ['txt', 'y']) if (!r.has(k)) throw new UsageError(`--embeddings ${p}: no tensor '${k}'`);
      const ts = r.info('txt').shape;
      const T = ts[ts.length - 2];
      if (ts[ts.length - 1] !== flux.config.contextInDim)
        throw new UsageError(`--embeddings ${p}: 'txt' is [${ts.join(',')}], expected [T, ${flux.config.contextInDim}]`);
      out.push({ txt: await r.readF32('txt'), y: await r.readF32('y'), T });
    } finally {
      await r.close();
    }
  }
  if (new Set(out.map((e) => e.T)).size > 1)
    throw new UsageError(`--embeddings: the files have different text lengths (${out.map((e) => e.T).join(', ')}); a batch needs one`);
  return out;
}

/** Draws `count` teacher latents, prompt i mod E, noise from sampleSeed(seed, i), `steps` Euler steps. */
export async function drawFluxSamples(
  device: Device,
  teacher: FluxTransformer,
  prompts: { txt: Float32Array; y: Float32Array; T: number }[],
  count: number,
  height: number,
  width: number,
  seed: number,
  steps: number,
  onSample: (done: number) => void,
): Promise<FluxSamples> {
  const c = teacher.config;
  const N = height * width;
  const T = prompts[0].T;
  const s: FluxSamples = {
    height,
    width,
    count,
    textLength: T,
    x0: new Float32Array(count * N * c.inChannels),
    txt: new Float32Array(count * T * c.contextInDim),
    y: new Float32Array(count * c.vecInDim),
  };
  const ids = imageIds(height, width);
  const schedule = fluxSchedule({ steps, imageSeqLen: N, shift: c.guidanceEmbed });
  for (let i = 0; i < count; i++) {
    const p = prompts[i % prompts.length];
    const txt = tensor(device, p.txt, [1, T, c.contextInDim]);
    const y = tensor(device, p.y, [1, c.vecInDim]);
    const channels = c.inChannels / 4;
    const noise = tensor(device, normalValues(sampleSeed(seed, i), channels * 4 * N), [1, channels, 2 * height, 2 * width]);
    const x = packFluxLatent(noise);
    const out: Tensor = await eulerFlow({
      model: (xt, t, _c, g) => teacher.forward({ img: xt, imgIds: ids, txt, timesteps: [t], y, guidance: g === undefined ? undefined : [g] }),
      x,
      schedule,
      cond: null,
      guidance: c.guidanceEmbed ? RECIPE_GUIDANCE : undefined,
    });
    s.x0.set(await out.toFloat32(), i * N * c.inChannels);
    s.txt.set(p.txt, i * T * c.contextInDim);
    s.y.set(p.y, i * c.vecInDim);
    for (const t of [txt, y, noise, x, out]) t.dispose();
    onSample(i + 1);
  }
  return s;
}

export async function writeFluxSamples(path: string, s: FluxSamples, config: { inChannels: number; contextInDim: number; vecInDim: number }): Promise<void> {
  const N = s.height * s.width;
  await writeSafetensorsFile(
    path,
    {
      x0: { dtype: 'F32', shape: [s.count, N, config.inChannels], data: s.x0 },
      txt: { dtype: 'F32', shape: [s.count, s.textLength, config.contextInDim], data: s.txt },
      y: { dtype: 'F32', shape: [s.count, config.vecInDim], data: s.y },
    },
    {
      height: String(s.height),
      width: String(s.width),
      content: 'FLUX teacher samples for CLEAR distillation: packed latents x0, prompt embeddings txt and y',
    },
    { overwrite: false },
  );
}

export async function readFluxSamples(path: string, config: { inChannels: number; contextInDim: number; vecInDim: number }): Promise<FluxSamples> {
  const r = await SafetensorsReader.open(await FileSource.open(path));
  try {
    for (const k of ['x0', 'txt', 'y'])
      if (!r.has(k)) throw new UsageError(`--data ${path}: no tensor '${k}' (not a FLUX data file written by cleardit distill)`);
    const [n, N, inC] = r.info('x0').shape;
    const [, T, ctx] = r.info('txt').shape;
    const height = Number(r.metadata.height);
    const width = Number(r.metadata.width);
    if (inC !== config.inChannels || ctx !== config.contextInDim || height * width !== N)
      throw new UsageError(
        `--data ${path}: x0 [${r.info('x0').shape.join(',')}] and txt [${r.info('txt').shape.join(',')}] do not fit this FLUX model (in ${config.inChannels}, context ${config.contextInDim}, grid ${height}×${width})`,
      );
    return { height, width, count: n, textLength: T, x0: await r.readF32('x0'), txt: await r.readF32('txt'), y: await r.readF32('y') };
  } finally {
    await r.close();
  }
}

export interface FluxDataRequest {
  embeddings: string[];
  count: number;
  /** Image size in pixels (16 per token: 8× autoencoder, 2×2 packing). */
  widthPx: number;
  heightPx: number;
  steps?: number;
}
