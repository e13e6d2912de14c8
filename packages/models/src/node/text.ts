// The text encoders of a FLUX folder from the file system: where each part is (a diffusers folder's
// text_encoder/ + tokenizer/ and text_encoder_2/ + tokenizer_2/, or a folder holding one encoder and
// its tokenizer files), its transformers config, its tokenizer, and the model itself.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Device } from '@cleardit/tensor';
import { CheckpointError, type LoadOptions } from '../checkpoint.js';
import { type ClipTextConfig, type ClipTextModel, clipTextConfigFromJson } from '../text/clip.js';
import { type T5Config, type T5Encoder, t5ConfigFromJson } from '../text/t5.js';
import { loadClipText, loadT5Encoder, planClipText, planT5Encoder, type TextEncoderPlan } from '../text/load.js';
import { type PromptTokenizer, clipTokenizer, t5Tokenizer } from '../text/tokenizers.js';
import { openCheckpoint } from './open.js';

export type TextEncoderKind = 'clip' | 't5';

/** Where one text encoder's weights/config and its tokenizer files are. */
export interface TextEncoderParts {
  kind: TextEncoderKind;
  encoder: string;
  tokenizer: string;
}

const LAYOUT = {
  clip: { encoder: 'text_encoder', tokenizer: 'tokenizer', files: ['vocab.json', 'merges.txt'] },
  t5: { encoder: 'text_encoder_2', tokenizer: 'tokenizer_2', files: ['tokenizer.json'] },
} as const;

/**
 * Finds a text encoder from `path`: a FLUX (diffusers) folder, the encoder's own folder with its
 * tokenizer files beside the weights, or text_encoder(_2)/ with tokenizer(_2)/ as its sibling.
 */
export function findTextEncoder(path: string, kind: TextEncoderKind): TextEncoderParts {
  const l = LAYOUT[kind];
  const what = kind === 'clip' ? 'CLIP text encoder' : 'T5 encoder';
  const hasTokenizer = (dir: string) => l.files.every((f) => existsSync(join(dir, f)));
  if (!existsSync(path)) throw new CheckpointError(`${path}: no such folder (looking for the ${what})`);
  if (existsSync(join(path, l.encoder, 'config.json'))) return { kind, encoder: join(path, l.encoder), tokenizer: join(path, l.tokenizer) };
  if (!existsSync(join(path, 'config.json')))
    throw new CheckpointError(`${path}: no ${l.encoder}/config.json and no config.json: not a FLUX folder nor a ${what} folder`);
  if (hasTokenizer(path)) return { kind, encoder: path, tokenizer: path };
  const sibling = join(dirname(path), l.tokenizer);
  if (basename(path) === l.encoder && hasTokenizer(sibling)) return { kind, encoder: path, tokenizer: sibling };
  throw new CheckpointError(`${path}: the ${what} is here but not its tokenizer (${l.files.join(' + ')} beside it, or in ../${l.tokenizer}/)`);
}

async function readJson(file: string, required = true): Promise<Record<string, unknown>> {
  if (!existsSync(file)) {
    if (required) throw new CheckpointError(`${file}: no such file`);
    return {};
  }
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new CheckpointError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

export async function readTextConfig(parts: TextEncoderParts): Promise<ClipTextConfig | T5Config> {
  const file = join(parts.encoder, 'config.json');
  const j = await readJson(file);
  return parts.kind === 'clip' ? clipTextConfigFromJson(j, file) : t5ConfigFromJson(j, file);
}

/** The tokenizer of `parts`; T5's pads and truncates to `length` (FluxPipeline: 512 dev, 256 schnell). */
export async function readPromptTokenizer(parts: TextEncoderParts, length = 512): Promise<PromptTokenizer> {
  const dir = parts.tokenizer;
  const config = await readJson(join(dir, 'tokenizer_config.json'), false);
  if (parts.kind === 'clip') {
    const special = await readJson(join(dir, 'special_tokens_map.json'), false);
    return clipTokenizer(await readFile(join(dir, 'vocab.json'), 'utf8'), await readFile(join(dir, 'merges.txt'), 'utf8'), { ...special, ...config }, 77, dir);
  }
  return t5Tokenizer(await readFile(join(dir, 'tokenizer.json'), 'utf8'), config, length, dir);
}

/** The load plan of an encoder (keys, shapes, bytes), read from headers only. */
export async function planTextEncoder(parts: TextEncoderParts, opts: LoadOptions = {}): Promise<TextEncoderPlan & { config: ClipTextConfig | T5Config }> {
  const config = await readTextConfig(parts);
  const src = await openCheckpoint(parts.encoder);
  try {
    return { config, ...(parts.kind === 'clip' ? planClipText(src, config as ClipTextConfig, opts) : planT5Encoder(src, config as T5Config, opts)) };
  } finally {
    await src.close();
  }
}

export async function loadClipFolder(device: Device, parts: TextEncoderParts, opts: LoadOptions = {}): Promise<ClipTextModel> {
  const config = (await readTextConfig(parts)) as ClipTextConfig;
  const src = await openCheckpoint(parts.encoder);
  return loadClipText(device, src, config, opts).finally(() => src.close());
}

export async function loadT5Folder(device: Device, parts: TextEncoderParts, opts: LoadOptions = {}): Promise<T5Encoder> {
  const config = (await readTextConfig(parts)) as T5Config;
  const src = await openCheckpoint(parts.encoder);
  return loadT5Encoder(device, src, config, opts).finally(() => src.close());
}
