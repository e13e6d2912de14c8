// What `cleardit generate` was asked to do, validated: every bad value is a one-line UsageError.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type AttentionMode, modelPresets } from '@cleardit/models';
import { UsageError } from '../exit.js';
import { checkOutputPath, positiveInt } from '../parse.js';
import { SAMPLER_NAMES, type SamplerName } from '@cleardit/sampler';

export interface GenerateSpec {
  model: string;
  vae?: string;
  embeddings?: string;
  /** FLUX: the prompt, encoded by the text encoders of the folder (or --clip, --t5). */
  prompt?: string;
  /** FLUX: the CLIP-L and T5 encoders' folders, beside a BFL transformer file. */
  clip?: string;
  t5?: string;
  /** FLUX: T5 tokens (FluxPipeline's max_sequence_length); unset: 512 for dev, 256 for schnell. */
  maxSequenceLength?: number;
  bundled: boolean;
  steps?: number;
  seed: number;
  /** Images in one batched run, from seeds seed, seed + 1, … */
  batchCount: number;
  /** Write a batch as one grid PNG instead of one file per image. */
  grid: boolean;
  width?: number;
  height?: number;
  guidance: number;
  /** Unset: the model's default (latent DiT 4, digits DIGIT_CFG = 4). */
  cfgScale?: number;
  /** Unset: class 0 for a latent DiT; the ten digits in a row for a digit model. */
  classId?: number;
  sampler?: SamplerName;
  /** Unset (no --attention): what the model file says (a distilled student's CLEAR), else full. */
  attention?: AttentionMode;
  initLatent?: string;
  strength: number;
  saveLatent?: string;
  output: string;
  overwrite: boolean;
  json: boolean;
  adapter?: string;
}

/** The CLI's own folder (apps/cli, or the installed package): src/ and dist/ both sit one level below it. */
export function cliRoot(): string {
  const entry = realpathSync(process.argv[1]);
  return join(dirname(entry), '..');
}

/** The models shipped in apps/cli/models: the digit teacher and its distilled CLEAR r = 4 student (the default). */
export const BUNDLED_MODELS = ['digit-clear-r4', 'digit-teacher'];
export const DEFAULT_MODEL = 'digit-clear-r4';
export function bundledModel(name: string): string | undefined {
  if (!BUNDLED_MODELS.includes(name)) return undefined;
  const dir = join(cliRoot(), 'models');
  const f = join(dir, `${name}.safetensors`);
  return existsSync(f) ? f : undefined;
}

function number(flag: string, v: string | undefined, lo: number, hi: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < lo || n > hi) throw new UsageError(`${flag} expects a number in [${lo}, ${hi}], got '${v}'`);
  return n;
}

/** Where a run's PNGs go: the output itself, or name-0.png … name-(N−1).png for a batch without --grid. */
export function outputPaths(output: string, batchCount: number, grid: boolean): string[] {
  if (batchCount === 1 || grid) return [output];
  const dot = output.lastIndexOf('.');
  const [stem, ext] = dot > output.lastIndexOf('/') ? [output.slice(0, dot), output.slice(dot)] : [output, ''];
  return Array.from({ length: batchCount }, (_, i) => `${stem}-${i}${ext}`);
}

/** Checks every file the run will write, before anything loads (the CLI; the server writes none). */
export function checkOutputs(spec: GenerateSpec): void {
  for (const path of outputPaths(spec.output, spec.batchCount, spec.grid)) checkOutputPath('--output', path, spec.overwrite);
  if (spec.saveLatent) checkOutputPath('--save-latent', spec.saveLatent, spec.overwrite);
}

/** What the flags ask for, validated (no file is touched but the model, VAE and inputs named). */
export function parseSpec(o: Record<string, string | boolean | undefined>, adapter: string | undefined): GenerateSpec {
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  let model = str('model') ?? DEFAULT_MODEL;
  let bundled = false;
  const b = bundledModel(model);
  if (b) {
    model = b;
    bundled = true;
  } else if (modelPresets().some((p) => p.name === model && p.family.role === 'transformer')) {
    throw new UsageError(
      `--model ${model}: cleardit knows this model's config but ships no weights for it; pass the checkpoint file or folder (e.g. --model path/to/${model === 'flux-dev' ? 'flux1-dev.safetensors' : 'transformer/'})`,
    );
  } else if (!existsSync(model))
    throw new UsageError(`--model ${model}: no such file or folder, and not a bundled model (bundled: ${BUNDLED_MODELS.join(', ')})`);
  const vae = str('vae');
  if (vae && !existsSync(vae)) throw new UsageError(`--vae ${vae}: no such file or folder`);
  const emb = str('embeddings');
  if (emb && !existsSync(emb)) throw new UsageError(`--embeddings ${emb}: no such file`);
  const prompt = str('prompt');
  if (prompt !== undefined && emb) throw new UsageError('--prompt and --embeddings both give the text conditioning: pass one');
  for (const flag of ['clip', 't5'] as const) if (str(flag) && !existsSync(str(flag)!)) throw new UsageError(`--${flag} ${str(flag)}: no such folder`);
  const init = str('initLatent');
  if (init && !existsSync(init)) throw new UsageError(`--init-latent ${init}: no such file`);
  const kind = str('attention');
  if (kind !== undefined && kind !== 'full' && kind !== 'clear') throw new UsageError(`--attention expects full or clear, got '${kind}'`);
  const radius = number('--radius', str('radius'), 0.5, 1e6) ?? 16;
  const down = str('downFactor') === undefined ? 1 : positiveInt('--down-factor', str('downFactor')!);
  const attention: AttentionMode | undefined =
    kind === undefined ? undefined : kind === 'full' ? { kind } : { kind, radius, downFactor: down, proportionalScale: o.proportionalScale === true };
  const sampler = str('sampler');
  if (sampler && !(SAMPLER_NAMES as string[]).includes(sampler)) throw new UsageError(`--sampler expects ${SAMPLER_NAMES.join(', ')}, got '${sampler}'`);
  const output = str('output') ?? 'output.png';
  const batchCount = str('batchCount') === undefined ? 1 : positiveInt('--batch-count', str('batchCount')!);
  if (batchCount > 64) throw new UsageError(`--batch-count ${batchCount}: at most 64 images in one run`);
  const grid = o.grid === true;
  const size = (flag: string, v: string | undefined) => (v === undefined ? undefined : positiveInt(flag, v));
  return {
    model,
    vae,
    embeddings: emb,
    prompt,
    clip: str('clip'),
    t5: str('t5'),
    maxSequenceLength: str('maxSequenceLength') === undefined ? undefined : positiveInt('--max-sequence-length', str('maxSequenceLength')!),
    bundled,
    steps: str('steps') === undefined ? undefined : positiveInt('--steps', str('steps')!),
    seed: str('seed') === undefined ? 42 : positiveInt('--seed', str('seed')!, true),
    batchCount,
    grid,
    width: size('--width', str('width')),
    height: size('--height', str('height')),
    guidance: number('--guidance', str('guidance'), 0, 100) ?? 3.5,
    cfgScale: number('--cfg-scale', str('cfgScale'), 0, 100),
    classId: str('class') === undefined ? undefined : positiveInt('--class', str('class')!, true),
    sampler: sampler as GenerateSpec['sampler'],
    attention,
    initLatent: init,
    strength: number('--strength', str('strength'), 0, 1) ?? 0.7,
    saveLatent: str('saveLatent'),
    output,
    overwrite: o.overwrite === true,
    json: o.json === true,
    adapter,
  };
}
