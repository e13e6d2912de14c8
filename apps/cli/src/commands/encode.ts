// `cleardit encode`: a prompt → FLUX's text conditioning file (txt [T, 4096] from T5, y [768] from
// CLIP, float32), the file `generate --embeddings` and `distill --embeddings` read, so a prompt can be
// encoded once, or on another machine, and drawn many times without loading the encoders again.
import type { Command } from 'commander';
import { createDevice, writeSafetensorsFile } from '@cleardit/tensor/node';
import { findTextEncoder, fluxParts } from '@cleardit/models/node';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../exit.js';
import { checkOutputPath, positiveInt } from '../parse.js';
import { encodePrompt, sequenceLengthFor, textEncoders, defaultSequenceLength } from '../generate/prompt.js';

export function encodeCommand(program: Command): void {
  program
    .command('encode')
    .description("encode a prompt with FLUX's CLIP and T5 into an embeddings file (txt, y) for --embeddings")
    .requiredOption('-p, --prompt <text>', 'the prompt')
    .option('-m, --model <path>', 'a FLUX.1 folder (its text_encoder/, text_encoder_2/ and tokenizers), or a FLUX transformer file (then --clip and --t5)')
    .option('--clip <dir>', 'the CLIP-L text encoder (text_encoder/ + tokenizer/, or a FLUX folder)')
    .option('--t5 <dir>', 'the T5-XXL encoder (text_encoder_2/ + tokenizer_2/, or a FLUX folder)')
    .option('--max-sequence-length <n>', 'T5 tokens (default: 512 for dev, 256 for schnell when -m says which; else 512)')
    .option('-o, --output <file>', 'safetensors to write', 'prompt.safetensors')
    .option('--overwrite', 'replace an existing output file')
    .addHelpText(
      'after',
      `
The file holds txt [T, 4096] (T5's last hidden state, T = --max-sequence-length) and y [768] (CLIP's
pooled output), float32, with the prompt and the encoders in its metadata. Tokenized and padded as
diffusers' FluxPipeline: CLIP to 77 tokens, T5 to T with </s> kept on truncation, no attention masks.

Examples:
  cleardit encode -m FLUX.1-dev -p "a red fox in snow" -o fox.safetensors
  cleardit encode --clip FLUX.1-dev --t5 FLUX.1-dev --max-sequence-length 256 -p "a red fox" -o fox.safetensors
  cleardit generate -m FLUX.1-dev --embeddings fox.safetensors -o fox.png`,
    )
    .action(async (opts: Record<string, string | boolean | undefined>, cmd: Command) => {
      const output = String(opts.output);
      checkOutputPath('--output', output, opts.overwrite === true);
      const model = opts.model as string | undefined;
      for (const [flag, v] of [
        ['--model', model],
        ['--clip', opts.clip],
        ['--t5', opts.t5],
      ] as const)
        if (typeof v === 'string' && !existsSync(v)) throw new UsageError(`${flag} ${v}: no such file or folder`);
      const [clip, t5] = [opts.clip as string | undefined, opts.t5 as string | undefined];
      const parts = model
        ? fluxParts(model, { clip, t5 })
        : { transformer: '', clip: clip ? findTextEncoder(clip, 'clip') : undefined, t5: t5 ? findTextEncoder(t5, 't5') : undefined };
      const asked = opts.maxSequenceLength === undefined ? undefined : positiveInt('--max-sequence-length', opts.maxSequenceLength as string);
      const length = model ? await sequenceLengthFor(parts.transformer, asked) : (asked ?? defaultSequenceLength(true));
      const device = await createDevice({ adapter: cmd.optsWithGlobals().adapter });
      const say = (line: string) => process.stderr.write(`${line}\n`);
      const enc = textEncoders(parts, model ?? 'the command line');
      const e = await encodePrompt(device, enc, String(opts.prompt), length, say);
      await writeSafetensorsFile(
        output,
        { txt: { dtype: 'F32', shape: [e.T, e.txt.length / e.T], data: e.txt }, y: { dtype: 'F32', shape: [e.y.length], data: e.y } },
        {
          prompt: String(opts.prompt),
          max_sequence_length: String(length),
          clip: basename(enc.clip.encoder),
          t5: basename(enc.t5.encoder),
          content: 'FLUX text conditioning (cleardit encode): txt = T5 last_hidden_state, y = CLIP pooler_output',
        },
        { overwrite: opts.overwrite === true },
      );
      say(`wrote ${output}: txt [${e.T}, ${e.txt.length / e.T}], y [${e.y.length}]`);
      device.destroy();
    });
}
