// Recognising a checkpoint (family, naming, config), checking it against what the config needs
// (every missing and unexpected key, every shape), estimating its bytes on a device, and streaming
// it into GPU tensors one at a time.
import { type Device, tensor, fmtBytes, DeviceLimitError } from '@cleardit/tensor';
import type { TensorSource } from './source.js';
import { type KeyMap, assemble } from './mapping.js';
import { Weights, WeightError } from './weights.js';
import { type FluxConfig, fluxKeys, fluxConfigFromJson } from './flux/config.js';
import { isFluxBfl, isFluxDiffusers, fluxBflMap, fluxDiffusersMap, inferFluxConfig } from './flux/keys.js';
import { type DitConfig, ditKeys, ditConfigFromJson } from './dit/config.js';
import { isDitDiffusers, isDitOriginal, ditDiffusersMap, ditOriginalMap, inferDitConfig, ditIgnoredKeys } from './dit/keys.js';
import { type VaeConfig, vaeKeys } from './vae/config.js';
import { isVaeDecoder, isVaeLdm, vaeDiffusersMap, vaeLdmMap, inferVaeConfig } from './vae/keys.js';

export type Family = 'flux' | 'dit' | 'vae';

export interface Detected {
  family: Family;
  naming: 'bfl' | 'diffusers' | 'original' | 'ldm';
  config: FluxConfig | DitConfig | VaeConfig;
  /** canonical key → expected shape */
  expected: Map<string, number[]>;
  /** canonical key → where it comes from in the file */
  map: KeyMap;
  /** Known tensors that are not loaded (duplicates, fixed tables). */
  ignore: Set<string>;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

function metadataConfig(src: TensorSource): Record<string, unknown> | undefined {
  const raw = src.metadata.config;
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new CheckpointError(`${src.name}: __metadata__.config is not valid JSON`);
  }
}

/** Which model a set of tensors is, under which names, with which config (from metadata, else shapes). */
export function detect(src: TensorSource, vaeHint?: Partial<VaeConfig>): Detected {
  const keys = new Set(src.keys());
  const shape = (k: string) => {
    if (!keys.has(k)) throw new CheckpointError(`${src.name}: cannot infer the config: missing '${k}'`);
    return src.info(k).shape;
  };
  const meta = metadataConfig(src);
  if (isFluxBfl(keys) || isFluxDiffusers(keys)) {
    const diffusers = !isFluxBfl(keys);
    const config = meta && 'depth_single_blocks' in meta ? fluxConfigFromJson(meta) : inferFluxConfig(keys, shape, diffusers);
    return { family: 'flux', naming: diffusers ? 'diffusers' : 'bfl', config, expected: fluxKeys(config), map: diffusers ? fluxDiffusersMap(config) : fluxBflMap(config), ignore: new Set() };
  }
  if (isDitDiffusers(keys) || isDitOriginal(keys)) {
    const original = isDitOriginal(keys);
    const config = meta && 'input_size' in meta ? ditConfigFromJson(meta) : inferDitConfig(keys, shape, original);
    return { family: 'dit', naming: original ? 'original' : 'diffusers', config, expected: ditKeys(config), map: original ? ditOriginalMap(config) : ditDiffusersMap(config), ignore: ditIgnoredKeys(keys) };
  }
  if (isVaeDecoder(keys)) {
    const ldm = isVaeLdm(keys);
    const config = inferVaeConfig(keys, shape, ldm, vaeHint);
    return { family: 'vae', naming: ldm ? 'ldm' : 'diffusers', config, expected: vaeKeys(config), map: ldm ? vaeLdmMap(config, keys) : vaeDiffusersMap(config, keys), ignore: new Set() };
  }
  const sample = [...keys].slice(0, 4).join(', ');
  throw new CheckpointError(`${src.name}: not a checkpoint cleardit knows (FLUX, DiT or a VAE decoder); its first tensors are ${sample || 'none'}`);
}

export interface LoadPlan {
  missing: string[];
  unexpected: string[];
  /** "key: file shape [a] (from parts), expected [b]" */
  shapeErrors: string[];
  parameters: number;
  /** Bytes the weights take on a device (float32). */
  bytes: number;
  largestTensorBytes: number;
  dtypes: Record<string, number>;
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function planLoad(src: TensorSource, det: Detected): LoadPlan {
  const keys = new Set(src.keys());
  const used = new Set<string>(det.ignore);
  const missing: string[] = [];
  const shapeErrors: string[] = [];
  let parameters = 0;
  let largest = 0;
  for (const [name, shape] of det.expected) {
    const s = det.map.get(name);
    const parts = s?.parts ?? [name];
    parts.forEach((p) => used.add(p));
    const absent = parts.filter((p) => !keys.has(p));
    if (absent.length) {
      missing.push(...absent);
      continue;
    }
    let n = parts.reduce((acc, p) => acc + numel(src.info(p).shape), 0);
    if (s?.rows) {
      const total = src.info(parts[0]).shape[0];
      if (total !== s.totalRows) shapeErrors.push(`'${parts[0]}': ${total} rows, expected ${s.totalRows}`);
      n = (n / total) * (s.rows[1] - s.rows[0]);
    }
    if (n !== numel(shape)) {
      const from = parts.map((p) => `${p} [${src.info(p).shape.join(',')}]`).join(' + ');
      shapeErrors.push(`'${name}': ${from} has ${n} values, expected shape [${shape.join(',')}] (${numel(shape)})`);
    }
    parameters += numel(shape);
    largest = Math.max(largest, numel(shape) * 4);
  }
  const unexpected = [...keys].filter((k) => !used.has(k));
  const dtypes: Record<string, number> = {};
  for (const k of keys) dtypes[src.info(k).dtype] = (dtypes[src.info(k).dtype] ?? 0) + 1;
  return { missing, unexpected, shapeErrors, parameters, bytes: parameters * 4, largestTensorBytes: largest, dtypes };
}

export interface LoadOptions {
  /** Bytes the device may spend on weights; defaults to what memoryBudget() says for the adapter. */
  memoryBudget?: number;
  /** Allow unexpected keys (e.g. a checkpoint with extra EMA copies). Missing keys always fail. */
  allowUnexpected?: boolean;
  onProgress?: (done: number, total: number, key: string) => void;
}

/** Refuses, before reading any data, a checkpoint that is incomplete, misshapen, or too big for the device. */
export function assertLoadable(src: TensorSource, p: LoadPlan, device: Device, budget: number | undefined, allowUnexpected = false): void {
  const list = (xs: string[]) => xs.slice(0, 8).join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '');
  if (p.missing.length) throw new WeightError(`${src.name}: missing ${p.missing.length} tensor(s): ${list(p.missing)}`);
  if (p.shapeErrors.length) throw new WeightError(`${src.name}: wrong shape: ${list(p.shapeErrors)}`);
  if (p.unexpected.length && !allowUnexpected) throw new WeightError(`${src.name}: ${p.unexpected.length} unexpected tensor(s): ${list(p.unexpected)}`);
  const bind = device.limits.maxStorageBufferBindingSize;
  if (p.largestTensorBytes > bind)
    throw new DeviceLimitError(`${src.name}: the largest weight (float32)`, p.largestTensorBytes, bind, `The model needs ${fmtBytes(p.bytes)} in all on ${device.adapter.name}`);
  if (budget !== undefined && p.bytes > budget)
    throw new DeviceLimitError(`${src.name}: the weights (float32)`, p.bytes, budget, `${device.adapter.name} cannot hold this model`);
}

/** Streams every canonical tensor to the device (one host tensor alive at a time). */
export async function loadWeights(device: Device, src: TensorSource, det: Detected, model: string, opts: LoadOptions = {}): Promise<Weights> {
  const weights = new Weights(model);
  let done = 0;
  try {
    for (const [name, shape] of det.expected) {
      const s = det.map.get(name) ?? { parts: [name] };
      const parts = await Promise.all(s.parts.map((p) => src.readF32(p)));
      weights.set(name, tensor(device, assemble(s, parts), shape));
      opts.onProgress?.(++done, det.expected.size, name);
    }
  } catch (e) {
    weights.dispose();
    throw e;
  }
  return weights;
}
