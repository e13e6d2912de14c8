// `cleardit eval`: the digit teacher, each student's zero-shot twin (the teacher's weights with the
// student's attention, no training) and each distilled student, on fixed seeds and classes, at 1×, 2×
// and 4× the training resolution: prediction MSE against the teacher on held-out noisy digits, PSNR
// against the teacher's sample from the same noise, class accuracy and Fréchet distance under the
// digit classifier, and time per sample. Writes the table as Markdown and JSON, and a picture.
import { type Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { basename, join, normalize } from 'node:path';
import type { Device } from '@cleardit/tensor';
import { createDevice, writeFileAtomic } from '@cleardit/tensor/node';
import { type DitTransformer, describeAttention } from '@cleardit/models';
import { openCheckpoint } from '@cleardit/models/node';
import { accuracy, frechetDistance, gaussianOf, predict } from '@cleardit/distill';
import { loadDigits } from '@cleardit/distill/node';
import { UsageError } from '../exit.js';
import { checkOutputPath, intAtLeast, numberIn, positiveNumbers } from '../parse.js';
import { encodePng, writePng } from '../generate/png.js';
import { DIGIT_CFG, type DigitModel, gridPixels, loadDigitModel, viewDit } from '@cleardit/pipelines';
import { loadOrTrainClassifier } from '../eval/classifier.js';
import { drawSamples, meanPsnr, meanSquaredDifference, predictions, toClassifierSize } from '../eval/measure.js';
import { EvalParts } from '../eval/parts.js';
import { sampleSeed } from '../distill/digits.js';

interface Row {
  model: string;
  kind: 'teacher' | 'zero-shot' | 'distilled';
  attention: string;
  scale: number;
  samples: number;
  predMse?: number;
  psnr?: number;
  accuracy: number;
  fdTeacher?: number;
  fdReal: number;
  msPerSample: number;
}

interface Entry {
  name: string;
  kind: Row['kind'];
  dit: DitTransformer;
  /** The weights' file (the teacher's for a zero-shot twin). */
  file: string;
  /** The part's file name in <out>.parts/, unique per model. */
  slug: string;
}

const slugOf = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** A digit model (teacher or student) from its file, with the attention its metadata names. */
async function loadDigit(device: Device, flag: string, path: string): Promise<DigitModel> {
  if (!existsSync(path)) throw new UsageError(`${flag} ${path}: no such file`);
  const src = await openCheckpoint(path);
  return loadDigitModel(device, src).finally(() => src.close());
}

const fmt = (v: number | undefined, digits: number) => (v === undefined ? '—' : v.toFixed(digits));

export function markdownTable(rows: Row[]): string {
  const head =
    '| resolution | model | attention | prediction MSE vs teacher | PSNR vs teacher (dB) | class accuracy | FD vs teacher | FD vs held-out digits | ms / sample |\n|---|---|---|---|---|---|---|---|---|';
  const lines = rows.map(
    (r) =>
      `| ${32 * r.scale}² (${r.samples}) | ${r.kind === 'teacher' ? 'teacher' : `${r.kind} ${r.model}`} | ${r.attention} | ${fmt(r.predMse, 5)} | ${fmt(r.psnr, 2)} | ${(100 * r.accuracy).toFixed(1)}% | ${fmt(r.fdTeacher, 2)} | ${fmt(r.fdReal, 2)} | ${r.msPerSample.toFixed(0)} |`,
  );
  return `${head}\n${lines.join('\n')}\n`;
}

export function evalCommand(program: Command): void {
  program
    .command('eval')
    .description('measure a digit teacher, zero-shot CLEAR students and distilled students against each other')
    .requiredOption('--teacher <file>', 'the teacher (teacher.safetensors from cleardit train)')
    .option('--students <files...>', 'distilled students (student.safetensors from cleardit distill); each is measured with its zero-shot twin')
    .option('--classifier <file>', 'the digit classifier; trained on the training split and written there when missing', 'runs/digit-classifier.safetensors')
    .option('--classifier-steps <n>', 'training steps of a new classifier (batch 64)', '800')
    .option('--samples <n>', 'samples per model at 1× (ten classes in turn, fixed seeds); n/s² at s× (at least 10)', '200')
    .option('--scales <list>', 'resolutions as multiples of 32² pixels', '1,2,4')
    .option('--cfg-scale <s>', 'classifier-free guidance of every sample', String(DIGIT_CFG))
    .option('-o, --out <file>', 'the table as Markdown (and <file>.json)', 'eval.md')
    .option('--picture <file>', 'a PNG of the same seeds drawn by the teacher, the first zero-shot twin and the first student')
    .option('--overwrite', 'replace existing output files and discard <out>.parts/ (the measurements of an earlier run)')
    .option('--resume', 'continue an earlier run: read the models already measured from <out>.parts/, measure the rest, then write the outputs')
    .addOption(new Option('--json', 'progress as one JSON object per line on stdout'))
    .addHelpText(
      'after',
      `
Samples are drawn with Euler, 20 steps, CFG --cfg-scale; sample i has class i mod 10 and the noise of seed i,
the same for every model, so a student's image is compared with the teacher's from the same noise.
Each model's row, images and (for the teacher) predictions are written to <out>.parts/ as soon as
they are measured; a run that stops (Ctrl-C, end of a session) continues with --resume, and a student
added later costs only its own rows. Above 32² the classifier sees the images average-pooled to 32². Times are wall-clock per sample on
this adapter, after a warm-up batch.

Example:
  cleardit eval --teacher runs/digit-teacher/teacher.safetensors \\
    --students runs/clear-r2/student.safetensors runs/clear-r4/student.safetensors -o docs/eval.md`,
    )
    .action(async (opts: Record<string, unknown>, cmd: Command) => {
      const json = opts.json === true;
      const say = (line: string, event: Record<string, unknown>) =>
        json ? process.stdout.write(`${JSON.stringify(event)}\n`) : process.stderr.write(`${line}\n`);
      const out = String(opts.out);
      const overwrite = opts.overwrite === true;
      const resume = opts.resume === true;
      if (resume && overwrite)
        throw new UsageError('--resume and --overwrite contradict each other: --resume keeps the measurements in <out>.parts/, --overwrite discards them');
      // a resumed run finishes the outputs an earlier run of the same evaluation would have written
      for (const [flag, f] of [['--out', out], ['--out', `${out}.json`], ...(opts.picture ? [['--picture', String(opts.picture)]] : [])])
        checkOutputPath(flag, f, overwrite || resume);
      const scales = positiveNumbers('--scales', String(opts.scales).split(','), true);
      const samples = intAtLeast('--samples', opts.samples as string, 10);
      const cfg = numberIn('--cfg-scale', opts.cfgScale as string, 0, 100);
      const device = await createDevice({ adapter: cmd.optsWithGlobals().adapter });
      const teacherPath = String(opts.teacher);
      const teacher = (await loadDigit(device, '--teacher', teacherPath)).dit;
      const entries: Entry[] = [{ name: basename(teacherPath), kind: 'teacher', dit: teacher, file: normalize(teacherPath), slug: 'teacher' }];
      for (const s of (opts.students as string[] | undefined) ?? []) {
        const { dit: student, attention } = await loadDigit(device, '--students', s);
        if (attention.kind === 'full') throw new UsageError(`--students ${s}: no CLEAR 'attention' metadata (not a student written by cleardit distill)`);
        const twin = viewDit(device, teacher.config, teacher.weights.tensors);
        twin.setAttention(attention);
        const name = basename(join(s, '..'));
        const twinSlug = `zero-shot-${slugOf(describeAttention(attention))}`;
        // two students with the same attention share one zero-shot twin (the same weights and attention)
        if (!entries.some((e) => e.slug === twinSlug))
          entries.push({ name: describeAttention(attention), kind: 'zero-shot', dit: twin, file: normalize(teacherPath), slug: twinSlug });
        const slug = `distilled-${slugOf(name)}`;
        if (entries.some((e) => e.slug === slug))
          throw new UsageError(`--students ${s}: another student's folder is also named '${name}'; give each student its own folder name`);
        entries.push({ name, kind: 'distilled', dit: student, file: normalize(s), slug });
      }
      const classifierPath = normalize(String(opts.classifier));
      const parts = EvalParts.open<Row>(out, { resume, overwrite });
      const classifier = await loadOrTrainClassifier(device, classifierPath, intAtLeast('--classifier-steps', opts.classifierSteps as string), say);
      const { heldOut } = loadDigits();
      const real = gaussianOf((await predict(device, classifier.weights, heldOut.images)).features, 64);

      const rows: Row[] = [];
      const first: Float32Array[] = [];
      for (const scale of scales) {
        const side = 32 * scale;
        const n = Math.max(10, Math.round(samples / (scale * scale) / 10) * 10);
        const labels = Array.from({ length: n }, (_, i) => i % 10);
        const seeds = labels.map((_, i) => sampleSeed(1, i));
        const batch = Math.max(2, Math.floor(50 / (scale * scale)));
        const predCount = Math.min(n, 100);
        let ref: { images: Float32Array; features: ReturnType<typeof gaussianOf>; predictions: Float32Array } | undefined;
        for (const e of entries) {
          const t0 = performance.now();
          const settings = { model: e.file, attention: describeAttention(e.dit.attention), samples: n, cfg, classifier: classifierPath };
          let part = await parts.get(scale, e.slug, settings);
          const resumed = part !== undefined;
          if (!part) {
            const drawn = await drawSamples(device, e.dit, labels, seeds, side, batch, cfg);
            const pred = await predictions(device, e.dit, heldOut, predCount, side, batch);
            const scored = await predict(device, classifier.weights, toClassifierSize(drawn.images, side));
            const features = gaussianOf(scored.features, 64);
            const row: Row = {
              model: e.name,
              kind: e.kind,
              attention: settings.attention,
              scale,
              samples: n,
              accuracy: accuracy(scored.classes, labels),
              fdReal: frechetDistance(features, real),
              msPerSample: drawn.msPerSample,
            };
            if (e.kind !== 'teacher') {
              row.psnr = meanPsnr(drawn.images, ref!.images, side * side);
              row.fdTeacher = frechetDistance(features, ref!.features);
              row.predMse = meanSquaredDifference(pred, ref!.predictions);
            }
            part = { settings, row, images: drawn.images, predictions: e.kind === 'teacher' ? pred : undefined };
            await parts.put(scale, e.slug, side, part);
          }
          if (e.kind === 'teacher') {
            const scored = await predict(device, classifier.weights, toClassifierSize(part.images, side));
            ref = { images: part.images, features: gaussianOf(scored.features, 64), predictions: part.predictions! };
          }
          const row = part.row;
          if (scale === scales[0]) first.push(part.images.slice(0, 10 * side * side));
          rows.push(row);
          say(
            `${side}²  ${row.kind.padEnd(9)} ${row.attention.padEnd(22)} accuracy ${(100 * row.accuracy).toFixed(1)}%  FD(teacher) ${fmt(row.fdTeacher, 2)}  PSNR ${fmt(row.psnr, 2)}  MSE ${fmt(row.predMse, 5)}  ${row.msPerSample.toFixed(0)} ms/sample  (${resumed ? `measured earlier, read from ${parts.dir}` : `${((performance.now() - t0) / 1000).toFixed(0)} s`})`,
            { event: 'row', resumed, ...row },
          );
        }
      }
      const header = `Classifier: ${(100 * classifier.heldOutAccuracy).toFixed(1)}% on the ${heldOut.labels.length} held-out digits. Adapter: ${device.adapter.name}. Samples: Euler 20 steps, CFG ${cfg}, class i mod 10, noise seed i.\n\n`;
      await writeFileAtomic(out, new TextEncoder().encode(header + markdownTable(rows)), { overwrite: overwrite || resume });
      await writeFileAtomic(
        `${out}.json`,
        new TextEncoder().encode(JSON.stringify({ adapter: device.adapter.name, classifierHeldOutAccuracy: classifier.heldOutAccuracy, rows }, null, 2)),
        { overwrite: overwrite || resume },
      );
      say(`wrote ${out} and ${out}.json`, { event: 'done', file: out });
      if (opts.picture) {
        // rows: teacher, the first zero-shot twin, the first student; columns: digits 0–9
        const side = 32 * scales[0];
        const picked = first.slice(0, 3);
        const grids = picked.map((imgs) => gridPixels(imgs, 10, side));
        const width = grids[0].width;
        const pixels = new Uint8Array(width * side * grids.length);
        grids.forEach((g, i) => pixels.set(g.pixels, i * g.pixels.length));
        await writePng(
          String(opts.picture),
          encodePng(
            pixels,
            width,
            side * grids.length,
            {
              parameters: `rows: ${entries
                .slice(0, 3)
                .map((e) => `${e.kind} (${describeAttention(e.dit.attention)})`)
                .join(', ')}; digits 0-9, the same noise per column`,
            },
            1,
          ),
          overwrite || resume,
        );
        say(`wrote ${opts.picture}`, { event: 'picture', file: opts.picture });
      }
      device.destroy();
    });
}
