// Recognising a checkpoint (family, naming, config), checking it against what the config needs
// (every missing and unexpected key, every shape), estimating its bytes on a device, and streaming
// it into GPU tensors one at a time. Linear weights stored in F16/BF16 stay 16-bit on the device
// (packed two per word; the matmul kernels widen them on load on every adapter): half the memory.
import { type Device, type Packed16, tensor, tensorFromBits, storageBytes, fmtBytes, InputError, DeviceLimitError } from '@cleardit/tensor';
import type { TensorSource } from './source.js';
import { type KeyMap, assemble } from './mapping.js';
import { Weights, WeightError } from './weights.js';
import type { VaeConfig } from './vae/config.js';
import { type AnyFamily, type Family, type FamilyConfig, type Naming, MODEL_FAMILIES, familyLabels } from './families.js';
import type { FamilyInput } from './family.js';
import { ConfigError } from './errors.js';
import { withPoolingMaps } from './clear-student.js';

export type { Family } from './families.js';

export interface Detected {
  family: Family;
  naming: Naming;
  config: FamilyConfig;
  /** canonical key → expected shape */
  expected: Map<string, number[]>;
  /** canonical key → where it comes from in the file */
  map: KeyMap;
  /** Known tensors that are not loaded (duplicates, fixed tables). */
  ignore: Set<string>;
}

/** What loading needs of a detected checkpoint: the canonical keys and shapes, their sources, what to skip. */
export type LoadSpec = Pick<Detected, 'expected' | 'map' | 'ignore'>;

export class CheckpointError extends InputError {
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
  const input: FamilyInput = { source: src, keys, shape, meta: metadataConfig(src) };
  const hints: Partial<Record<Family, object>> = { vae: vaeHint };
  for (const family of MODEL_FAMILIES as readonly AnyFamily[]) {
    const naming = family.naming(keys);
    if (!naming) continue;
    try {
      const config = family.config(input, naming, hints[family.name]);
      family.check(config);
      const plan = family.clearPlan?.(config);
      return {
        family: family.name,
        naming,
        config,
        expected: plan ? withPoolingMaps(family.expected(config), plan, src) : family.expected(config),
        map: family.map(config, naming, keys),
        ignore: family.ignore?.(keys) ?? new Set(),
      };
    } catch (e) {
      if (e instanceof ConfigError && !e.message.startsWith(src.name)) throw new ConfigError(`${src.name}: ${e.message}`);
      throw e;
    }
  }
  const sample = [...keys].slice(0, 4).join(', ');
  throw new CheckpointError(`${src.name}: not a checkpoint cleardit knows (${familyLabels()}); its first tensors are ${sample || 'none'}`);
}

export interface LoadPlan {
  missing: string[];
  unexpected: string[];
  /** "key: file shape [a] (from parts), expected [b]" */
  shapeErrors: string[];
  parameters: number;
  /** Bytes the weights take on a device: 2 per value of a weight kept in 16 bits, 4 for the rest (float32). */
  bytes: number;
  largestTensorBytes: number;
  /** How many tensors stay 16-bit on the device (the Linear weights stored F16/BF16). */
  kept16: number;
  dtypes: Record<string, number>;
}

export interface PlanOptions {
  /**
   * Keep Linear weights stored in F16/BF16 in 16 bits on the device (default true): half the memory,
   * the same values (the kernels widen them exactly); activations and arithmetic stay float32.
   * false widens every tensor to float32 on load.
   */
  weights16?: boolean;
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const squeezed = (s: readonly number[]) => s.filter((d) => d !== 1).join(',');

/**
 * Whether file tensors can be the expected one as shapes, not only as counts: one part has the
 * expected shape up to size-1 axes (an LDM 1×1 conv [C, C, 1, 1] is a Linear [C, C]); parts
 * concatenated along rows, or a row block of a fused tensor, share the expected shape past the rows.
 */
function shapesFit(parts: readonly (readonly number[])[], expected: readonly number[]): boolean {
  if (parts.length === 1 && numel(parts[0]) === numel(expected) && squeezed(parts[0]) === squeezed(expected)) return true;
  return parts.every((p) => squeezed(p.slice(1)) === squeezed(expected.slice(1)));
}

/** 2-D weights that are tables, read by gather() or added, not fed to linear(): they stay float32. */
const TABLES = ['.embedding_table.weight', 'position_embedding.weight', 'relative_attention_bias.weight'];

/**
 * A weight that only ever feeds linear(): 2-D and named `.weight`. In FLUX, DiT, the VAEs and the text
 * encoders that is every Linear (the VAE's attention projections included; convs are 4-D), except the
 * tables: DiT's class table, CLIP's position table and T5's relative-position bias.
 */
export function isLinearWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name.endsWith('.weight') && !TABLES.some((t) => name.endsWith(t));
}

/** The 16-bit dtype a canonical tensor keeps on the device, or null when it is widened to float32. */
function keptAs16(src: TensorSource, name: string, shape: readonly number[], parts: readonly string[], opts: PlanOptions): Packed16 | null {
  if (opts.weights16 === false || !isLinearWeight(name, shape)) return null;
  const dt = parts.map((p) => src.info(p).dtype);
  if (!dt.every((d) => d === dt[0])) return null; // mixed parts: assembled in float32
  return dt[0] === 'BF16' ? 'bf16' : dt[0] === 'F16' ? 'f16' : null;
}

export function planLoad(src: TensorSource, det: LoadSpec, opts: PlanOptions = {}): LoadPlan {
  const keys = new Set(src.keys());
  const used = new Set<string>(det.ignore);
  const missing: string[] = [];
  const shapeErrors: string[] = [];
  let parameters = 0;
  let bytes = 0;
  let largest = 0;
  let n16 = 0;
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
    const from = () => parts.map((p) => `${p} [${src.info(p).shape.join(',')}]`).join(' + ');
    if (n !== numel(shape)) shapeErrors.push(`'${name}': ${from()} has ${n} values, expected shape [${shape.join(',')}] (${numel(shape)})`);
    else if (
      !shapesFit(
        parts.map((p) => src.info(p).shape),
        shape,
      )
    )
      shapeErrors.push(`'${name}': ${from()}, expected shape [${shape.join(',')}] (the same count of values in another shape: transposed or misshapen)`);
    const is16 = keptAs16(src, name, shape, parts, opts) !== null;
    const b = storageBytes(is16 ? 'bf16' : 'f32', numel(shape));
    parameters += numel(shape);
    bytes += b;
    n16 += is16 ? 1 : 0;
    largest = Math.max(largest, b);
  }
  const unexpected = [...keys].filter((k) => !used.has(k));
  const dtypes: Record<string, number> = {};
  for (const k of keys) dtypes[src.info(k).dtype] = (dtypes[src.info(k).dtype] ?? 0) + 1;
  return { missing, unexpected, shapeErrors, parameters, bytes, largestTensorBytes: largest, kept16: n16, dtypes };
}

export interface LoadOptions extends PlanOptions {
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
    throw new DeviceLimitError(
      `${src.name}: the largest weight`,
      p.largestTensorBytes,
      bind,
      `The model needs ${fmtBytes(p.bytes)} in all on ${device.adapter.name}`,
    );
  if (budget !== undefined && p.bytes > budget)
    throw new DeviceLimitError(
      `${src.name}: the weights (${p.kept16} kept in 16 bits, the rest float32)`,
      p.bytes,
      budget,
      `${device.adapter.name} cannot hold this model`,
    );
}

/** Streams every canonical tensor to the device (one host tensor alive at a time); see PlanOptions.weights16. */
export async function loadWeights(device: Device, src: TensorSource, det: LoadSpec, model: string, opts: LoadOptions = {}): Promise<Weights> {
  const weights = new Weights(model);
  let done = 0;
  try {
    for (const [name, shape] of det.expected) {
      const s = det.map.get(name) ?? { parts: [name] };
      const d16 = keptAs16(src, name, shape, s.parts, opts);
      if (d16) {
        // the file's bits as they are: no widening, no rounding
        const parts = await Promise.all(s.parts.map(async (p) => (await src.readHost(p)).data as Uint16Array));
        weights.set(name, tensorFromBits(device, assemble(s, parts), shape, d16));
      } else {
        const parts = await Promise.all(s.parts.map((p) => src.readF32(p)));
        weights.set(name, tensor(device, assemble(s, parts), shape));
      }
      opts.onProgress?.(++done, det.expected.size, name);
    }
  } catch (e) {
    weights.dispose();
    throw e;
  }
  return weights;
}
