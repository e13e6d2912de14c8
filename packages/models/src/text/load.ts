// Loading the text encoders from a tensor source and their transformers config: every key and shape
// checked before any data is read (the shared plan/assert/stream of checkpoint.ts), the token table
// read to the host, the other weights streamed to the device (16-bit Linear weights stay 16-bit).
// CLIP's keys may carry transformers 4's `text_model.` prefix (FLUX.1's own folders) or not
// (transformers 5); T5's table may be `shared.weight`, `encoder.embed_tokens.weight` or both.
import { type Device, type SafetensorsDType, SAFETENSORS_DTYPE_BYTES } from '@cleardit/tensor';
import type { TensorSource } from '../source.js';
import { planLoad, assertLoadable, loadWeights, type LoadPlan, type LoadOptions, type LoadSpec } from '../checkpoint.js';
import { WeightError } from '../weights.js';
import { TokenTable } from './token-table.js';
import { type ClipTextConfig, ClipTextModel, CLIP_TOKEN_TABLE, clipTextKeys } from './clip.js';
import { type T5Config, T5Encoder, T5_TOKEN_TABLE, T5_TOKEN_TABLE_COPY, t5EncoderKeys } from './t5.js';

/** A text encoder's load, before any data is read: the device plan and the host table. */
export interface TextEncoderPlan {
  spec: LoadSpec;
  plan: LoadPlan;
  /** The token table's key in the file and its host bytes (as stored). */
  table: { key: string; bytes: number };
}

function specFor(keys: Map<string, number[]>, prefix: string, ignore: string[]): LoadSpec {
  return { expected: keys, map: new Map([...keys.keys()].map((k) => [k, { parts: [prefix + k] }])), ignore: new Set(ignore) };
}

function tableInfo(src: TensorSource, key: string): { key: string; bytes: number } {
  if (!src.keys().includes(key)) throw new WeightError(`${src.name}: missing the token embedding '${key}'`);
  const info = src.info(key);
  return { key, bytes: info.shape.reduce((a, b) => a * b, SAFETENSORS_DTYPE_BYTES[info.dtype as SafetensorsDType]) };
}

export function planClipText(src: TensorSource, c: ClipTextConfig, opts: LoadOptions = {}): TextEncoderPlan {
  const prefix = src.keys().some((k) => k.startsWith('text_model.')) ? 'text_model.' : '';
  const table = tableInfo(src, prefix + CLIP_TOKEN_TABLE);
  const spec = specFor(clipTextKeys(c), prefix, [table.key, `${prefix}embeddings.position_ids`]); // position_ids: transformers 4's saved buffer (0…76)
  return { spec, plan: planLoad(src, spec, opts), table };
}

export function planT5Encoder(src: TensorSource, c: T5Config, opts: LoadOptions = {}): TextEncoderPlan {
  const keys = new Set(src.keys());
  const table = tableInfo(src, keys.has(T5_TOKEN_TABLE) ? T5_TOKEN_TABLE : T5_TOKEN_TABLE_COPY);
  const spec = specFor(
    t5EncoderKeys(c),
    '',
    [T5_TOKEN_TABLE, T5_TOKEN_TABLE_COPY].filter((k) => keys.has(k)),
  );
  return { spec, plan: planLoad(src, spec, opts), table };
}

export async function loadClipText(device: Device, src: TensorSource, c: ClipTextConfig, opts: LoadOptions = {}): Promise<ClipTextModel> {
  const { spec, plan, table } = planClipText(src, c, opts);
  assertLoadable(src, plan, device, opts.memoryBudget, opts.allowUnexpected);
  const tokens = await TokenTable.read(src, table.key, c.vocabSize, c.hiddenSize);
  return new ClipTextModel(device, c, await loadWeights(device, src, spec, src.name, opts), tokens);
}

export async function loadT5Encoder(device: Device, src: TensorSource, c: T5Config, opts: LoadOptions = {}): Promise<T5Encoder> {
  const { spec, plan, table } = planT5Encoder(src, c, opts);
  assertLoadable(src, plan, device, opts.memoryBudget, opts.allowUnexpected);
  const tokens = await TokenTable.read(src, table.key, c.vocabSize, c.dModel);
  return new T5Encoder(device, c, await loadWeights(device, src, spec, src.name, opts), tokens);
}
