// `cleardit generate`: an image from a digit model (the bundled default: a CLEAR student distilled
// from the digit teacher), a latent DiT (class-conditional) or FLUX (precomputed text embeddings),
// with full or CLEAR attention, written as a PNG that records its parameters.
import { type Command, Option } from 'commander';
import { basename } from 'node:path';
import { createDevice, writeSafetensorsFile } from '@cleardit/tensor/node';
import { loadModel, describeAttention, DitTransformer, FluxTransformer, VaeDecoder, FULL, type AttentionMode } from '@cleardit/models';
import { openCheckpoint, defaultMemoryBudget } from '@cleardit/models/node';
import { UsageError } from '../exit.js';
import { parseSpec, outputPaths, DEFAULT_MODEL, BUNDLED_MODELS } from '../generate/spec.js';
import { makeReporter } from '../generate/progress.js';
import { encodePng, tile, writePng } from '../generate/png.js';
import { runDit, type Generated } from '../generate/dit.js';
import { runFlux } from '../generate/flux.js';
import { runDigits } from '../generate/digits.js';

export function generateCommand(program: Command): void {
  program
    .command('generate')
    .description('generate an image with a DiT or FLUX checkpoint, full or CLEAR attention')
    .option('-m, --model <path>', `a bundled model (${BUNDLED_MODELS.join(', ')}; default ${DEFAULT_MODEL}), or a checkpoint file or folder (FLUX: BFL or diffusers names; DiT: diffusers or original names)`)
    .option('--vae <path>', 'VAE decoder checkpoint for latent models (FLUX: ae.safetensors; DiT: an SD VAE); digit models need none')
    .option('--embeddings <file>', 'FLUX text conditioning: safetensors with txt [T, 4096] and y [768] (precomputed T5 and CLIP outputs)')
    .option('--steps <n>', 'sampling steps (digits 20, DiT 50, FLUX dev 28, schnell 4)')
    .option('-s, --seed <n>', 'noise seed: the same seed gives the same image in Node and in browsers', '42')
    .option('-b, --batch-count <n>', 'images in one batched run, from seeds s, s+1, …; written as NAME-0.png … (at most 64)', '1')
    .option('--grid', 'write a batch as one grid PNG instead of one file per image')
    .option('-W, --width <px>', 'image width in pixels (default: the model\'s native size)')
    .option('-H, --height <px>', 'image height in pixels')
    .option('--guidance <g>', 'FLUX dev guidance embedding', '3.5')
    .option('--cfg-scale <s>', 'DiT classifier-free guidance scale, ≤ 1 turns it off (digits 2, DiT 4)')
    .option('--class <id>', 'DiT class label (digits: one digit 0-9; default all ten in a row)')
    .addOption(new Option('--sampler <name>', 'DiT: ddpm or ddim; FLUX: euler').choices(['ddpm', 'ddim', 'euler']))
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
      const verbose = cmd.optsWithGlobals().verbose === true;
      const report = makeReporter(spec.json ? 'json' : 'auto');
      const started = performance.now();
      const device = await createDevice({ adapter: spec.adapter });
      const budget = defaultMemoryBudget(device);
      const load = async (path: string) => {
        const src = await openCheckpoint(path);
        try {
          return { ...(await loadModel(device, src, { memoryBudget: budget })), metadata: src.metadata };
        } finally {
          await src.close();
        }
      };
      const transformer = await load(spec.model);
      if (transformer.detected.family === 'vae') throw new UsageError(`--model ${spec.model}: this is a VAE decoder; pass it as --vae and a DiT or FLUX transformer as --model`);
      // a digit model: a flow-matching DiT on pixels (no autoencoder)
      const pixels = transformer.model instanceof DitTransformer && transformer.metadata.prediction === 'flow';
      // --attention wins; else the file's own (a distilled student's CLEAR); else full
      const attention: AttentionMode = spec.attention ?? (transformer.metadata.attention ? (JSON.parse(transformer.metadata.attention) as AttentionMode) : FULL);
      if ('setAttention' in transformer.model) transformer.model.setAttention(attention);
      let decoder: Awaited<ReturnType<typeof load>> | undefined;
      if (!pixels) {
        if (!spec.vae) throw new UsageError(`--vae is needed to turn the ${transformer.detected.family === 'flux' ? 'FLUX' : 'DiT'} latent into an image (FLUX: ae.safetensors; DiT: an SD VAE)`);
        decoder = await load(spec.vae);
        if (!(decoder.model instanceof VaeDecoder)) throw new UsageError(`--vae ${spec.vae}: this is a ${decoder.detected.family} checkpoint, not a VAE decoder`);
      }
      const modelName = basename(spec.model).replace(/\.safetensors$/, '');
      report.info(`model: ${modelName}${spec.bundled ? ' (bundled)' : ''}${transformer.metadata.about ? ` — ${transformer.metadata.about}` : ''}; attention: ${describeAttention(attention)}`);
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
      let g: Generated;
      const m = transformer.model;
      const vae = decoder?.model as VaeDecoder;
      if (m instanceof DitTransformer) g = pixels ? await runDigits(device, m, spec, counting, abort.signal) : await runDit(device, m, vae, spec, counting, abort.signal);
      else if (m instanceof FluxTransformer) g = await runFlux(device, m, vae, spec, counting, abort.signal);
      else throw new UsageError(`--model ${spec.model}: not a transformer`);
      const finished = performance.now();
      // the PNG text of image i (seed spec.seed + i), or of the grid of them all
      const textFor = (seed: string | number, batch: number) => {
        const params: Record<string, string | number> = {
          Steps: g.steps,
          Sampler: g.sampler,
          ...g.params,
          Seed: seed,
          Size: `${g.width}x${g.height}`,
          ...(batch > 1 ? { 'Batch count': batch } : {}),
          Model: modelName,
          Attention: describeAttention(attention),
          Adapter: device.adapter.name,
          Version: 'cleardit 0.1.0',
        };
        return {
          parameters: Object.entries(params).map(([k, v]) => `${k}: ${v}`).join(', '),
          // what made the image, not where it went: the same request gives the same bytes at any path
          cleardit: JSON.stringify({ ...spec, seed, attention, output: undefined, overwrite: undefined, json: undefined, saveLatent: undefined, model: basename(spec.model), vae: spec.vae && basename(spec.vae), embeddings: spec.embeddings && basename(spec.embeddings), initLatent: spec.initLatent && basename(spec.initLatent), adapter: device.adapter.name, width: g.width, height: g.height, steps: g.steps }),
        };
      };
      const B = g.pictures.length;
      const paths = outputPaths(spec.output, B, spec.grid);
      if (B > 1 && spec.grid) {
        const cols = Math.ceil(Math.sqrt(B));
        const sheet = tile(g.pictures, g.width, g.height, g.channels, cols);
        await writePng(spec.output, encodePng(sheet.pixels, sheet.width, sheet.height, textFor(`${spec.seed}-${spec.seed + B - 1}`, B), g.channels), spec.overwrite);
      } else for (let i = 0; i < B; i++) await writePng(paths[i], encodePng(g.pictures[i], g.width, g.height, textFor(spec.seed + i, 1), g.channels), spec.overwrite);
      if (spec.saveLatent && g.latent)
        await writeSafetensorsFile(spec.saveLatent, { latent: { dtype: 'F32', shape: [...g.latent.shape], data: await g.latent.toFloat32() } }, { parameters: textFor(spec.seed, B).parameters }, { overwrite: spec.overwrite });
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
