// What `cleardit generate` and `cleardit serve` share: a loaded model (and its decoder, for latent
// models) ready to run, one run of it for a request, and the PNG text each image carries. The CLI
// loads a pipeline once per command; the server keeps one per model and runs requests through it.
import { basename } from 'node:path';
import type { Device } from '@cleardit/tensor';
import {
  loadModel,
  describeAttention,
  familyNamed,
  DitTransformer,
  FluxTransformer,
  VaeDecoder,
  FULL,
  type AttentionMode,
  type LoadedModel,
} from '@cleardit/models';
import { openCheckpoint, defaultMemoryBudget, fluxParts } from '@cleardit/models/node';
import { UsageError } from '../exit.js';
import type { GenerateSpec } from './spec.js';
import type { Reporter } from './progress.js';
import { runDit, type Generated } from './dit.js';
import { runFlux } from './flux.js';
import type { PromptEmbedding } from './prompt.js';
import { runDigits } from './digits.js';

type Loaded = LoadedModel & { metadata: Readonly<Record<string, string>> };

export interface Pipeline {
  transformer: Loaded;
  decoder?: Loaded;
  /** A digit model: a flow-matching DiT on pixels, no autoencoder. */
  pixels: boolean;
  /** The attention the model file names (a distilled student's CLEAR), else full. */
  fileAttention: AttentionMode;
  /** The model's name as PNGs record it (the file name without .safetensors). */
  name: string;
  /** The file's own description (its `about` metadata), if any. */
  about?: string;
  dispose(): void;
}

/** Loads the model `spec.model` (and `spec.vae` when the model works in a latent space). */
export async function loadPipeline(device: Device, spec: Pick<GenerateSpec, 'model' | 'vae'>): Promise<Pipeline> {
  const vaePath = spec.vae ?? fluxParts(spec.model).vae; // a FLUX folder's own vae/
  const budget = defaultMemoryBudget(device);
  const load = async (path: string): Promise<Loaded> => {
    const src = await openCheckpoint(path);
    try {
      return { ...(await loadModel(device, src, { memoryBudget: budget })), metadata: src.metadata };
    } finally {
      await src.close();
    }
  };
  const transformer = await load(spec.model);
  const family = familyNamed(transformer.detected.family);
  if (family.role !== 'transformer')
    throw new UsageError(`--model ${spec.model}: this is a ${family.label}; pass it as --vae and a DiT or FLUX transformer as --model`);
  const pixels = transformer.model instanceof DitTransformer && transformer.metadata.prediction === 'flow';
  let decoder: Loaded | undefined;
  if (!pixels) {
    if (!vaePath) throw new UsageError(`--vae is needed to turn the ${family.label} latent into an image (FLUX: ae.safetensors; DiT: an SD VAE)`);
    decoder = await load(vaePath);
    if (!(decoder.model instanceof VaeDecoder)) throw new UsageError(`--vae ${vaePath}: this is a ${decoder.detected.family} checkpoint, not a VAE decoder`);
  }
  const fileAttention = transformer.metadata.attention ? (JSON.parse(transformer.metadata.attention) as AttentionMode) : FULL;
  return {
    transformer,
    decoder,
    pixels,
    fileAttention,
    name: basename(spec.model.replace(/\/+$/, '')).replace(/\.safetensors$/, ''),
    about: transformer.metadata.about,
    dispose: () => {
      transformer.model.dispose();
      decoder?.model.dispose();
    },
  };
}

/** The attention a request runs with: --attention wins, else the file's own. */
export const attentionOf = (p: Pipeline, spec: GenerateSpec): AttentionMode => spec.attention ?? p.fileAttention;

/** One request through the pipeline; `prompt`: FLUX's encoded prompt, when the request has one. */
export async function runPipeline(
  device: Device,
  p: Pipeline,
  spec: GenerateSpec,
  report: Reporter,
  signal: AbortSignal,
  prompt?: PromptEmbedding,
): Promise<Generated> {
  const m = p.transformer.model;
  if ('setAttention' in m) m.setAttention(attentionOf(p, spec));
  const vae = p.decoder?.model as VaeDecoder;
  if (m instanceof DitTransformer) return p.pixels ? runDigits(device, m, spec, report, signal) : runDit(device, m, vae, spec, report, signal);
  if (m instanceof FluxTransformer) return runFlux(device, m, vae, spec, report, signal, prompt);
  if (prompt) throw new UsageError(`--prompt is FLUX's; a DiT takes --class`);
  throw new UsageError(`--model ${spec.model}: not a transformer`);
}

/** The PNG text of an image (`seed`), or of a grid of `batch` images: A1111-style `parameters` and `cleardit` JSON. */
export function pngText(device: Device, p: Pipeline, spec: GenerateSpec, g: Generated, seed: string | number, batch: number): Record<string, string> {
  const attention = attentionOf(p, spec);
  const params: Record<string, string | number> = {
    Steps: g.steps,
    Sampler: g.sampler,
    ...g.params,
    Seed: seed,
    Size: `${g.width}x${g.height}`,
    ...(batch > 1 ? { 'Batch count': batch } : {}),
    Model: p.name,
    Attention: describeAttention(attention),
    Adapter: device.adapter.name,
    Version: 'cleardit 0.1.0',
  };
  const settings = Object.entries(params)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return {
    // A1111's layout: the prompt on the first line, the settings on the last
    parameters: spec.prompt === undefined ? settings : `${spec.prompt}\n${settings}`,
    // what made the image, not where it went: the same request gives the same bytes at any path
    cleardit: JSON.stringify({
      ...spec,
      seed,
      attention,
      output: undefined,
      overwrite: undefined,
      json: undefined,
      saveLatent: undefined,
      model: basename(spec.model),
      vae: spec.vae && basename(spec.vae),
      embeddings: spec.embeddings && basename(spec.embeddings),
      clip: spec.clip && basename(spec.clip),
      t5: spec.t5 && basename(spec.t5),
      initLatent: spec.initLatent && basename(spec.initLatent),
      adapter: device.adapter.name,
      width: g.width,
      height: g.height,
      steps: g.steps,
    }),
  };
}
