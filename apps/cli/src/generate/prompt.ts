// A prompt → FLUX's text conditioning: txt [T, 4096] (T5-XXL's last hidden state) and y [768]
// (CLIP-L's pooled output), as diffusers' FluxPipeline computes them. Each encoder is loaded, run
// once and freed before the next part loads (CLIP, then T5, then the transformer): on a real FLUX.1
// the T5 encoder alone takes 9.5 GB in bf16, so the encoders never share memory with the transformer.
import type { Device } from '@cleardit/tensor';
import { fmtBytes } from '@cleardit/tensor';
import { detect, type FluxConfig } from '@cleardit/models';
import {
  loadClipFolder,
  loadT5Folder,
  planTextEncoder,
  readPromptTokenizer,
  defaultMemoryBudget,
  openCheckpoint,
  type FluxParts,
  type TextEncoderParts,
} from '@cleardit/models/node';
import { UsageError } from '../exit.js';

/** FLUX's text conditioning for one prompt, on the host. */
export interface PromptEmbedding {
  txt: Float32Array; // [T, context_in_dim]
  T: number;
  y: Float32Array; // [vec_in_dim]
}

/** FluxPipeline's max_sequence_length defaults: 512 for dev (guidance-distilled), 256 for schnell. */
export const defaultSequenceLength = (guidanceEmbed: boolean): number => (guidanceEmbed ? 512 : 256);

/** The T5 length for the transformer at `path`: `asked`, else its default (read from its header only). */
export async function sequenceLengthFor(path: string, asked?: number): Promise<number> {
  if (asked !== undefined) return asked;
  const src = await openCheckpoint(path);
  try {
    const det = detect(src);
    if (det.family !== 'flux') throw new UsageError(`--prompt is FLUX's, and ${path} is a ${det.family} checkpoint`);
    return defaultSequenceLength((det.config as FluxConfig).guidanceEmbed);
  } finally {
    await src.close();
  }
}

/** The two encoders of `parts`, or a clear error naming what is missing and how to give it. */
export function textEncoders(parts: FluxParts, model: string): { clip: TextEncoderParts; t5: TextEncoderParts } {
  const missing = [!parts.clip && 'CLIP (--clip DIR: text_encoder/ + tokenizer/)', !parts.t5 && 'T5 (--t5 DIR: text_encoder_2/ + tokenizer_2/)'].filter(
    Boolean,
  );
  if (missing.length)
    throw new UsageError(`--prompt needs FLUX's text encoders, and ${model} has no ${missing.join(' and no ')}: pass a FLUX folder (-m DIR) or name them`);
  return { clip: parts.clip!, t5: parts.t5! };
}

/** Encodes `prompt`, loading and freeing each encoder in turn; `say` reports what loaded when. */
export async function encodePrompt(
  device: Device,
  enc: { clip: TextEncoderParts; t5: TextEncoderParts },
  prompt: string,
  maxLength: number,
  say: (line: string) => void,
): Promise<PromptEmbedding> {
  const budget = defaultMemoryBudget(device);
  const opts = { memoryBudget: budget };
  const describe = async (p: TextEncoderParts, what: string) => {
    const { plan, table } = await planTextEncoder(p, opts);
    const short = (n: number) => fmtBytes(n, false);
    return `${what} from ${p.encoder}: ${plan.parameters.toLocaleString('en-US')} parameters, ${short(plan.bytes)} on the device (${plan.kept16} Linear weights in 16 bits) + ${short(table.bytes)} token table on the host`;
  };

  let t0 = performance.now();
  say(`loading ${await describe(enc.clip, 'CLIP')}`);
  const clipTokens = await readPromptTokenizer(enc.clip);
  const clip = await loadClipFolder(device, enc.clip, opts);
  const clipOut = clip.encode(clipTokens.encode(prompt), 1);
  const y = await clipOut.pooled.toFloat32();
  clipOut.hidden.dispose();
  clipOut.pooled.dispose();
  clip.dispose();
  say(`CLIP encoded the prompt and was freed (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  t0 = performance.now();
  say(`loading ${await describe(enc.t5, 'T5')}`);
  const t5Tokens = await readPromptTokenizer(enc.t5, maxLength);
  const t5 = await loadT5Folder(device, enc.t5, opts);
  const hidden = t5.encode(t5Tokens.encode(prompt), 1);
  const txt = await hidden.toFloat32();
  hidden.dispose();
  t5.dispose();
  say(`T5 encoded the prompt (${maxLength} tokens) and was freed (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return { txt, T: maxLength, y };
}
