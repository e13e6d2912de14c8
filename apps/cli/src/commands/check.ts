// `cleardit check FILE...`: runs the computation each reference-vector file describes, on the chosen
// adapter, and prints per output the max absolute and relative error and PASS or FAIL.
// Exit: 0 all pass, 1 any FAIL, 2 a file unreadable or not recognised.
import { type Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, SafetensorsReader } from '@cleardit/tensor';
import { FileSource, createDevice } from '@cleardit/tensor/node';
import { attentionChecker } from '../check/attention.js';
import { fluxChecker, ditChecker, vaeChecker } from '../check/models.js';
import { samplingChecker, scheduleChecker } from '../check/sampling.js';
import { textChecker } from '../check/text.js';
import type { Checker, CheckResult } from '../check/types.js';
import { EXIT } from '../exit.js';

/** Errors that mean the file's contents are unusable (exit 2), rather than cleardit failing (exit 1). */
const isInputError = (e: Error) => e instanceof InputError || e instanceof RangeError;

/** Checkers in the order they are tried. */
export const CHECKERS: Checker[] = [attentionChecker, fluxChecker, ditChecker, vaeChecker, samplingChecker, scheduleChecker, textChecker];

function print(file: string, adapter: string, res: CheckResult): void {
  console.log(`${file}: ${res.title} — on ${adapter}`);
  console.log(`  ${'output'.padEnd(18)} ${'max abs'.padStart(10)} ${'max rel'.padStart(10)} ${'tolerance'.padStart(14)}  result`);
  for (const r of res.rows) {
    const nums = r.text ? r.text.padStart(21) : `${r.maxAbs.toExponential(2).padStart(10)} ${r.maxRel.toExponential(2).padStart(10)}`;
    const tol = r.text && Number.isFinite(r.maxAbs) ? 'exact' : `${r.tolerance.toExponential(0)} ${r.absolute ? 'abs' : 'rel'}`;
    console.log(`  ${r.output.padEnd(18)} ${nums} ${tol.padStart(14)}  ${r.pass ? 'PASS' : 'FAIL'}`);
  }
  for (const s of res.skipped) console.log(`  ${s.output.padEnd(18)} ${'skipped'.padStart(21)} ${''.padStart(14)}  (${s.reason})`);
}

export function checkCommand(program: Command): void {
  program
    .command('check')
    .description('check cleardit against reference-vector files (safetensors with inputs.* and outputs.*)')
    .argument('<files...>', 'reference-vector files (or folders with a golden.safetensors), e.g. ../shared/golden/clear-attn-a.safetensors')
    .addOption(
      new Option('--dit-semantics <mode>', 'DiT: facebookresearch/DiT (what the weights were trained with) or stock diffusers')
        .choices(['dit', 'diffusers'])
        .default('dit'),
    )
    .addHelpText(
      'after',
      `
Each file is recognised by its tensor names and metadata:
  attention  inputs.q, inputs.k, inputs.v (+ inputs.dout for gradients), geometry in __metadata__
  FLUX       weights.double_blocks… (or diffusers names), inputs.img/img_ids/txt/txt_ids/timesteps/y/guidance
  DiT        weights.pos_embed.proj… (diffusers) or x_embedder… (original), inputs.x/t/y
  decoder    weights.decoder…, inputs.z
  sampling   inputs.noise + __metadata__.weights (the model file, beside this one), steps and shift
  schedules  schedule.<steps>_<image tokens>_<shift>
  text       a folder: golden.safetensors (inputs.ids_i, outputs.hidden_i [, pooled_i]) beside
             text_encoder/ + tokenizer/ (CLIP) or text_encoder_2/ + tokenizer_2/ (T5)
Attention errors are relative to the largest output magnitude (1e-4); model errors are absolute
(FLUX 1e-5, its -strong file 5e-4, DiT 1e-4, decoders 1e-5, under the 3.1e-5 a wrong GroupNorm eps gives,
text encoders 1e-4, as the golden README states); token ids must be equal.
Outputs a model cannot produce are listed as skipped, never passed.
Every file given is checked and reported; the exit status is the worst one: 0 all PASS, 1 any FAIL,
2 a file unreadable, not recognised, or whose inputs cannot be run (the message names the file).

Example:
  cleardit check ../shared/golden/clear-attn-a.safetensors ../shared/golden/clear-attn-a-down.safetensors
  cleardit check ../shared/golden/text/clip-tiny ../shared/golden/text/t5-tiny`,
    )
    .action(async (files: string[], opts: { ditSemantics: 'dit' | 'diffusers' }, cmd: Command) => {
      const device = await createDevice({ adapter: cmd.optsWithGlobals().adapter });
      let status: number = EXIT.ok;
      // statuses only rise: 2 (unusable input) outranks 1 (a mismatch)
      for (const file of files) {
        let reader: SafetensorsReader;
        try {
          // a reference folder (../shared/golden/text/*) keeps its vectors in golden.safetensors
          const path = existsSync(join(file, 'golden.safetensors')) ? join(file, 'golden.safetensors') : file;
          reader = await SafetensorsReader.open(await FileSource.open(path));
        } catch (e) {
          process.stderr.write(`cleardit: ${file}: ${(e as Error).message}\n`);
          status = EXIT.usage;
          continue;
        }
        const checker = CHECKERS.find((c) => c.recognize(reader));
        if (!checker) {
          process.stderr.write(
            `cleardit: ${file}: not a reference-vector file cleardit recognises (${CHECKERS.map((c) => c.name).join(', ')}); it has ${reader.keys().slice(0, 5).join(', ')}${reader.keys().length > 5 ? ', …' : ''}\n`,
          );
          status = EXIT.usage;
          await reader.close();
          continue;
        }
        let res: CheckResult;
        try {
          res = await checker.run(device, reader, { ditSemantics: opts.ditSemantics });
        } catch (e) {
          // a file whose contents cannot be run (a short input, a bad geometry): say which, go on
          const err = e as Error;
          process.stderr.write(`cleardit: ${file}: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}\n`);
          status = Math.max(status, isInputError(err) ? EXIT.usage : EXIT.failed);
          await reader.close();
          continue;
        }
        print(file, device.adapter.name, res);
        await reader.close();
        if (res.rows.some((r) => !r.pass)) status = Math.max(status, EXIT.failed);
      }
      device.destroy();
      process.exit(status);
    });
}
