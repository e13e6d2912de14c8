// What the server accepts: OpenAI's images request (prompt, model, n, size, response_format b64_json,
// output_format png) plus seed, steps and cfg_scale as stable-diffusion.cpp's server takes them,
// as a JSON schema (Fastify validates it and names the field in a 400), and its translation into the
// same GenerateSpec `cleardit generate` builds from flags — so one request and one command line give
// the same bytes.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../exit.js';
import { parseSpec, type GenerateSpec } from '../generate/spec.js';

export interface Limits {
  maxN: number;
  /** Largest image side in pixels. */
  maxSize: number;
  maxSteps: number;
}

export const DEFAULT_LIMITS: Limits = { maxN: 8, maxSize: 256, maxSteps: 100 };

/** A model id as requests name it: a file name without .safetensors, never a path. */
export const MODEL_ID = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';

export function generationSchema(l: Limits) {
  return {
    type: 'object',
    required: ['prompt'],
    additionalProperties: false,
    properties: {
      prompt: { type: 'string', minLength: 1, maxLength: 4000 },
      model: { type: 'string', pattern: MODEL_ID },
      n: { type: 'integer', minimum: 1, maximum: l.maxN },
      size: { type: 'string', pattern: '^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$' },
      response_format: { type: 'string', enum: ['b64_json'] },
      output_format: { type: 'string', enum: ['png'] },
      seed: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
      steps: { type: 'integer', minimum: 1, maximum: l.maxSteps },
      cfg_scale: { type: 'number', minimum: 0, maximum: 100 },
      // OpenAI fields a client may send that change nothing here
      user: { type: 'string', maxLength: 256 },
      quality: { type: 'string', maxLength: 32 },
      style: { type: 'string', maxLength: 32 },
    },
  } as const;
}

export interface GenerationRequest {
  prompt: string;
  model?: string;
  n?: number;
  size?: string;
  seed?: number;
  steps?: number;
  cfg_scale?: number;
}

/** A 4xx with the field it is about (OpenAI's error shape carries it as `param`). */
export class RequestError extends UsageError {
  override name = 'RequestError';
  constructor(
    readonly param: string | null,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The model ids a folder serves: its *.safetensors files. */
export function modelIds(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors') && new RegExp(MODEL_ID).test(f.slice(0, -12)))
    .map((f) => f.slice(0, -12))
    .sort();
}

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/** The class a prompt names: an integer ("7", "class 207") or, for digits, its word ("seven"). */
export function classOfPrompt(prompt: string, classes: number): number {
  const p = prompt.trim().toLowerCase();
  const num = /(?:^|\D)(\d{1,6})(?:\D|$)/.exec(p);
  const k = num ? Number(num[1]) : classes === 10 ? WORDS.findIndex((w) => new RegExp(`\\b${w}\\b`).test(p)) : -1;
  if (k < 0 || k >= classes)
    throw new RequestError(
      'prompt',
      `prompt '${prompt}': a class-conditional model takes its class from the prompt, a number 0..${classes - 1}${classes === 10 ? ' or its word (zero … nine)' : ''}`,
    );
  return k;
}

/** The GenerateSpec of a request, built by the CLI's own parser from the equivalent flags. */
export function specOf(r: GenerationRequest, modelPath: string, classes: number | undefined, seed: number, l: Limits): GenerateSpec {
  const flags: Record<string, string | boolean | undefined> = { model: modelPath, seed: String(seed) };
  if (r.size) {
    const [w, h] = r.size.split('x').map(Number);
    if (w > l.maxSize || h > l.maxSize) throw new RequestError('size', `size ${r.size}: at most ${l.maxSize}×${l.maxSize} pixels here`);
    [flags.width, flags.height] = [String(w), String(h)];
  }
  if (r.n && r.n > 1) flags.batchCount = String(r.n);
  if (r.steps !== undefined) flags.steps = String(r.steps);
  if (r.cfg_scale !== undefined) flags.cfgScale = String(r.cfg_scale);
  if (classes === undefined)
    throw new RequestError(
      'model',
      'this model takes text conditioning, which the server cannot encode yet (cleardit has no text encoders); use a class-conditional model',
    );
  flags.class = String(classOfPrompt(r.prompt, classes));
  try {
    return parseSpec(flags, undefined);
  } catch (e) {
    throw new RequestError(null, (e as Error).message);
  }
}

export const modelPath = (dir: string, id: string) => join(dir, `${id}.safetensors`);
