// A FLUX.1 folder in diffusers' layout (model_index.json, transformer/, vae/, text_encoder/ = CLIP-L,
// text_encoder_2/ = T5-XXL, tokenizer/, tokenizer_2/) as one model's parts, or BFL's single
// transformer file with the encoders named beside it (--clip, --t5, --vae). Only paths are resolved
// here; each part loads through its own loader, in the order the caller chooses.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../checkpoint.js';
import { findTextEncoder, type TextEncoderParts } from './text.js';

export interface FluxParts {
  transformer: string;
  vae?: string;
  clip?: TextEncoderParts;
  t5?: TextEncoderParts;
}

/** Whether `path` is a diffusers pipeline folder (it has model_index.json). */
export const isPipelineFolder = (path: string): boolean => existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, 'model_index.json'));

/**
 * The parts of the FLUX model at `model`: a pipeline folder's own, with `named` ones (paths given by
 * the user) taking their place; for a single transformer file, only what is named.
 */
export function fluxParts(model: string, named: { vae?: string; clip?: string; t5?: string } = {}): FluxParts {
  const folder = isPipelineFolder(model);
  const sub = (name: string) => (folder && existsSync(join(model, name)) ? join(model, name) : undefined);
  const text = (kind: 'clip' | 't5', path?: string) => {
    if (path) return findTextEncoder(path, kind);
    return folder && existsSync(join(model, kind === 'clip' ? 'text_encoder' : 'text_encoder_2')) ? findTextEncoder(model, kind) : undefined;
  };
  const transformer = folder ? sub('transformer') : model;
  if (!transformer) throw new CheckpointError(`${model}: a pipeline folder (model_index.json) without transformer/`);
  return { transformer, vae: named.vae ?? sub('vae'), clip: text('clip', named.clip), t5: text('t5', named.t5) };
}
