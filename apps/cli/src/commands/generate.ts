// `cleardit generate`: an image from a digit model (the bundled default: a CLEAR student distilled
// from the digit teacher), a latent DiT (class-conditional) or FLUX (a prompt, or its embeddings),
// with full or CLEAR attention, written as a PNG that records its parameters.
import { type Command, Option } from 'commander';
import { createDevice, writeSafetensorsFile } from '@cleardit/tensor/node';
import { describeAttention, MODEL_FAMILIES } from '@cleardit/models';
import { parseSpec, checkOutputs, outputPaths, DEFAULT_MODEL, BUNDLED_MODELS } from '../generate/spec.js';
import { makeReporter } from '../generate/progress.js';
import { encodePng, tile, writePng } from '../generate/png.js';
import { attentionOf, loadPipeline, pngText, runPipeline } from '../generate/pipeline.js';
import { encodePrompt, sequenceLengthFor, textEncoders, type PromptEmbedding } from '../generate/prompt.js';
import { fluxParts } from '@cleardit/models/node';
import { FLOW_SAMPLERS, DIFFUSION_SAMPLERS, SAMPLER_NAMES } from '@cleardit/sampler';

/** "FLUX: bfl or diffusers names; DiT: original or diffusers names", from the model-family registry. */
const TRANSFORMER_NAMINGS = MODEL_FAMILIES.filter((f) => f.role === 'transformer')
  .map((f) => `${f.label}: ${f.namings.join(' or ')} names`)
  .join('; ');

export function generateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate an image with a DiT or FLUX checkpoint, full or CLEAR attention')
    .option(
      '-m, --model <path>',
      `a bundled model (${BUNDLED_MODELS.join(', ')}; default ${DEFAULT_MODEL}), or a checkpoint file or folder (${TRANSFORMER_NAMINGS})`,
    )
    .option('--vae <path>', 'VAE decoder checkpoint for latent models (FLUX: ae.safetensors; DiT: an SD VAE); digit models need none')
    .option('-p, --prompt <text>', "FLUX: the prompt, encoded by the folder's CLIP and T5 (or --clip, --t5)")
    .option('--clip <dir>', 'FLUX: the CLIP-L text encoder (text_encoder/ + tokenizer/, or a FLUX folder), beside a BFL file')
    .option('--t5 <dir>', 'FLUX: the T5-XXL encoder (text_encoder_2/ + tokenizer_2/, or a FLUX folder), beside a BFL file')
    .option('--max-sequence-length <n>', 'FLUX: T5 tokens (default 512 for dev, 256 for schnell, as diffusers)')
    .option('--embeddings <file>', 'FLUX text conditioning instead of a prompt: txt [T, 4096] and y [768] (from cleardit encode)')
    .option('--steps <n>', 'sampling steps (digits 20, DiT 50, FLUX dev 28, schnell 4)')
    .option('-s, --seed <n>', 'noise seed: the same seed gives the same image in Node and in browsers', '42')
    .option('-b, --batch-count <n>', 'images in one batched run, from seeds s, s+1, …; written as NAME-0.png … (at most 64)', '1')
    .option('--grid', 'write a batch as one grid PNG instead of one file per image')
    .option('-W, --width <px>', "image width in pixels (default: the model's native size)")
    .option('-H, --height <px>', 'image height in pixels')
    .option('--guidance <g>', 'FLUX dev guidance embedding', '3.5')
    .option('--cfg-scale <s>', 'DiT classifier-free guidance scale, ≤ 1 turns it off (digits 4, DiT 4)')
    .option('--class <id>', 'DiT class label (digits: one digit 0-9; default all ten in a row)')
    .addOption(
      new Option(
        '--sampler <name>',
        `flow models (FLUX, digits): ${Object.entries(FLOW_SAMPLERS)
          .map(([n, s]) => `${n} (${s.about})`)
          .join(', ')}; latent DiT: ${Object.entries(DIFFUSION_SAMPLERS)
          .map(([n, s]) => `${n} (${s.about})`)
          .join(', ')}`,
      ).choices(SAMPLER_NAMES),
    )
    .addOption(new Option('--attention <kind>', 'attention in every layer (default: what the model file says, else full)').choices(['full', 'clear']))
    .option('--radius <r>', 'CLEAR radius in tokens (a token is 16×16 px for FLUX and DiT/2)', '16')
    .option('--down-factor <d>', 'CLEAR pooled global tokens over d×d cells (1 = none)', '1')
    .option('--proportional-scale', 'CLEAR: softmax scale √(log₄₆₀₈(L)/D) for high resolutions')
    .option('--init-latent <file>', 'FLUX img2img: start from a latent saved with --save-latent (resized to --width/--height)')
    .option('--strength <s>', 'img2img strength: 1 starts from noise, 0 keeps the latent', '0.7')
    .option('--save-latent <file>', 'also write the final latent (safetensors, tensor "latent") for a later --init-latent')
    .option('-o, --output <file>', 'PNG to write', 'output.png')
    .option('--overwrite', 'replace an existing output file (otherwise refused)')
    .option('--json', 'machine-readable progress: one JSON object per line on stdout')
    .addHelpText(
      'after',
      `
The parameters are recorded in the PNG (text chunk "parameters", as other tools do, and "cleardit" as
JSON). Without --model, the bundled digit model runs: a CLEAR (r = 4) student distilled from a DiT
trained on handwritten digits (docs/distillation.md); -m digit-teacher runs the teacher with full
attention. A digit model writes the ten digits in a row, or one 32×32 digit with --class.

FLUX from a prompt: -m names a FLUX.1 folder (diffusers layout: transformer/, vae/, text_encoder/,
text_encoder_2/, tokenizer/, tokenizer_2/), or BFL's flux1-dev.safetensors with --vae ae.safetensors,
--clip and --t5 naming the encoders. CLIP and T5 load, encode the prompt and are freed before the
transformer loads. The PNG records the prompt.
  cleardit generate -m FLUX.1-dev -p "a red fox in snow" -o fox.png
  cleardit encode -m FLUX.1-dev -p "a red fox in snow" -o fox.safetensors   # encode once...
  cleardit generate -m FLUX.1-dev --embeddings fox.safetensors -s 7 -o fox7.png   # ...draw many

Upscaling the CLEAR way (generate low, resize, refine with local attention):
  cleardit generate -m flux1-dev.safetensors --vae ae.safetensors --embeddings prompt.safetensors \\
    -W 1024 -H 1024 --save-latent base.safetensors -o base.png
  cleardit generate -m flux1-dev.safetensors --vae ae.safetensors --embeddings prompt.safetensors \\
    -W 2048 -H 2048 --init-latent base.safetensors --strength 0.7 --attention clear --radius 16 -o big.png

Examples:
  cleardit generate -o digits.png                       # the ten digits, CLEAR student
  cleardit generate --class 3 -s 7 -o three.png         # one 32×32 digit
  cleardit generate -m digit-teacher -o teacher.png     # the same noise through the teacher
  cleardit generate -m DiT-XL-2-256/transformer --vae sd-vae-ft-ema --class 207 --steps 250 -o dog.png`,
    )
    .action(async (opts: Record<string, string | boolean | undefined>, cmd: Command) => {
      const spec = parseSpec(opts, cmd.optsWithGlobals().adapter);
      checkOutputs(spec);
      const verbose = cmd.optsWithGlobals().verbose === true;
      const report = makeReporter(spec.json ? 'json' : 'auto');
      const started = performance.now();
      const device = await createDevice({ adapter: spec.adapter });
      // FLUX from a prompt: the encoders load, run and are freed before the transformer loads
      let prompt: PromptEmbedding | undefined;
      if (spec.prompt !== undefined) {
        const parts = fluxParts(spec.model, { clip: spec.clip, t5: spec.t5 });
        const length = await sequenceLengthFor(parts.transformer, spec.maxSequenceLength);
        prompt = await encodePrompt(device, textEncoders(parts, spec.model), spec.prompt, length, (line) => report.info(line));
      }
      const p = await loadPipeline(device, spec);
      report.info(
        `model: ${p.name}${spec.bundled ? ' (bundled)' : ''}${p.about ? ` — ${p.about}` : ''}; attention: ${describeAttention(attentionOf(p, spec))}`,
      );
      report.info(`adapter: ${device.adapter.name} (${device.adapter.reason})`);
      const loaded = performance.now();
      // what the first step compiled, what the others did (nothing, when kernels take their values as
      // parameters), and when sampling ended
      const marks = { firstStep: 0, compiledFirst: 0, lastStep: 0, compiledLast: 0 };
      const counting = {
        ...report,
        step(step: number, total: number, t: number) {
          if (step === 1) [marks.firstStep, marks.compiledFirst] = [performance.now(), device.counters.pipelinesCompiled];
          if (step === total) [marks.lastStep, marks.compiledLast] = [performance.now(), device.counters.pipelinesCompiled];
          report.step(step, total, t);
        },
      };
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort(new Error('interrupted')));
      const g = await runPipeline(device, p, spec, counting, abort.signal, prompt);
      const finished = performance.now();
      const textFor = (seed: string | number, batch: number) => pngText(device, p, spec, g, seed, batch);
      const B = g.pictures.length;
      const paths = outputPaths(spec.output, B, spec.grid);
      if (B > 1 && spec.grid) {
        const cols = Math.ceil(Math.sqrt(B));
        const sheet = tile(g.pictures, g.width, g.height, g.channels, cols);
        await writePng(
          spec.output,
          encodePng(sheet.pixels, sheet.width, sheet.height, textFor(`${spec.seed}-${spec.seed + B - 1}`, B), g.channels),
          spec.overwrite,
        );
      } else
        for (let i = 0; i < B; i++)
          await writePng(paths[i], encodePng(g.pictures[i], g.width, g.height, textFor(spec.seed + i, 1), g.channels), spec.overwrite);
      if (spec.saveLatent && g.latent)
        await writeSafetensorsFile(
          spec.saveLatent,
          { latent: { dtype: 'F32', shape: [...g.latent.shape], data: await g.latent.toFloat32() } },
          { parameters: textFor(spec.seed, B).parameters },
          { overwrite: spec.overwrite },
        );
      report.done(paths.join(', '), { width: g.width, height: g.height, files: paths });
      if (verbose && !spec.json) {
        const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
        const c = device.counters;
        process.stderr.write(
          `time: device and weights ${s(loaded - started)}, first step ${s(marks.firstStep - loaded)}, other steps ${s(marks.lastStep - marks.firstStep)}, decoding ${s(finished - marks.lastStep)}\n` +
            `pipelines compiled: ${marks.compiledFirst} by the first step, ${marks.compiledLast - marks.compiledFirst} in the other steps, ${c.pipelinesCompiled - marks.compiledLast} decoding; ${c.dispatches} dispatches\n`,
        );
      }
      device.destroy();
    });
}
