// `cleardit distill`: a CLEAR student from a digit teacher, by the recipe of spec/clear.md §6. The
// teacher's samples (drawn once, kept in --data and shared by every radius) are the data; the student
// starts from the teacher's weights with CLEAR in every attention layer and trains only the attention
// projections (and pooling maps); checkpoints every N steps and on Ctrl-C; --resume continues exactly.
import { type Command, Option } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createDevice } from '@cleardit/tensor/node';
import { DitTransformer, FluxTransformer, clearStudent, describeAttention, loadModel, type AttentionMode } from '@cleardit/models';
import { openCheckpoint } from '@cleardit/models/node';
import { DISTILL_DEFAULTS, DistillTrainer, type DistillConfig } from '@cleardit/distill';
import { loadTrainingCheckpoint, readTrainingState, saveTrainingCheckpoint } from '@cleardit/distill/node';
import { UsageError } from '../exit.js';
import { intAtLeast, numberIn } from '../parse.js';
import { type DistillJob, digitJob, fluxJob } from '../distill/job.js';
import { trainingLoop } from '../train/loop.js';
import { DISTILL_DATA_CFG, drawTeacherSamples, readDigitSamples, writeDigitSamples } from '../distill/digits.js';
import { DIGIT_CFG, isDigitConfig } from '@cleardit/pipelines';
import { drawFluxSamples, readEmbeddings, readFluxSamples, writeFluxSamples } from '../distill/flux.js';

/** What a distillation checkpoint records beside the trainer's config, to rebuild the same run. */
interface DistillRun {
  teacher: string;
  data: string;
  attention: AttentionMode;
  /** Digits: the guidance the teacher samples were drawn with (absent in runs from before the flag: 4). */
  dataCfg?: number;
}

export function distillCommand(program: Command): void {
  const D = DISTILL_DEFAULTS;
  program
    .command('distill')
    .description('distill a CLEAR student from a digit teacher: only the attention projections train')
    .requiredOption('--teacher <file>', 'the teacher model (teacher.safetensors from cleardit train)')
    .requiredOption('-o, --out <dir>', 'run folder: checkpoint.safetensors (and .prev), samples-<step>.png, student.safetensors')
    .option('--radius <r>', 'CLEAR radius in tokens on the 16×16 grid (r = 2, 4, 8 see what r = 8, 16, 32 see on FLUX at 1024²)', '4')
    .option('--down-factor <d>', 'also attend to the d×d-pooled image (1: none); the pooling maps train too', '1')
    .option('--data <file>', 'the teacher samples; drawn and written when the file does not exist (default: beside the teacher)')
    .option('--samples <n>', 'teacher samples to draw when --data does not exist', '1000')
    .option(
      '--data-cfg <w>',
      'digits: the guidance the teacher samples are drawn with (1: none, so L_fm and L_pred score the same conditional prediction)',
      String(DISTILL_DATA_CFG),
    )
    .option('--embeddings <files...>', 'FLUX: prompt embeddings (txt, y) the teacher draws its samples from, one prompt per file')
    .option('-W, --width <px>', 'FLUX: size of the teacher samples in pixels', '1024')
    .option('-H, --height <px>', 'FLUX: size of the teacher samples in pixels', '1024')
    .option('--sample-steps <n>', 'FLUX: Euler steps per teacher sample (default 28 for dev, 4 for schnell)')
    .option('--steps <n>', 'optimizer steps', String(D.steps))
    .option('--batch <n>', 'samples per step', String(D.batch))
    .addOption(new Option('--optimizer <name>', "Prodigy (lr 1, the paper's) or AdamW").choices(['prodigy', 'adamw']).default(D.optimizer))
    .option('--lr <x>', 'learning rate (Prodigy: 1)', String(D.lr))
    .option('--seed <n>', 'seed of the data order, times and noise', String(D.seed))
    .option('--checkpoint-every <n>', 'steps between checkpoints (also written on Ctrl-C and at the end)', '50')
    .option('--sample-every <n>', 'steps between sample grids of the student (0: only at the end)', '100')
    .option('--resume', 'continue the run in --out from its checkpoint, exactly as if never stopped (its settings come from the checkpoint)')
    .option('--overwrite', 'replace an existing student.safetensors at the end')
    .addOption(new Option('--json', 'progress as one JSON object per line on stdout'))
    .addHelpText(
      'after',
      `
Each step noises --batch teacher samples x₀ at σ = (1000 − ⌊1000u⌋)/1000, runs the teacher (full
attention, no gradients) and the student (CLEAR) on them, and trains the student's q, k, v and output
projections on L = L_fm + 0.5·L_pred + 0.5·L_attn: the flow-matching loss, the distance to the
teacher's prediction, and the distance between the two attention outputs of every second block.
As in the teacher's training, 10% of the labels are the null class (for guidance). The digit
teacher's samples are drawn without guidance (--data-cfg 1): the losses score the student's
conditional prediction, so the data must come from that same conditional distribution.
Gradients are clipped at 1. Everything else in the student is the teacher's and stays bit-identical.

Examples:
  cleardit distill --teacher runs/digit-teacher/teacher.safetensors -o runs/clear-r4 --radius 4
  cleardit distill --teacher runs/digit-teacher/teacher.safetensors -o runs/clear-r2-d4 --radius 2 --down-factor 4
  cleardit distill --teacher runs/digit-teacher/teacher.safetensors -o runs/clear-r4 --resume`,
    )
    .action(async (opts: Record<string, string | boolean | undefined>, cmd: Command) => {
      const out = String(opts.out);
      const ckpt = join(out, 'checkpoint.safetensors');
      let config: DistillConfig = {
        ...D,
        steps: intAtLeast('--steps', opts.steps as string),
        batch: intAtLeast('--batch', opts.batch as string),
        optimizer: opts.optimizer as DistillConfig['optimizer'],
        lr: numberIn('--lr', opts.lr as string, 0, 10),
        seed: intAtLeast('--seed', opts.seed as string, 0),
      };
      const teacherPath = String(opts.teacher);
      const dataCfg = numberIn('--data-cfg', opts.dataCfg as string, 0, 100);
      let run: DistillRun = {
        teacher: teacherPath,
        data:
          (opts.data as string | undefined) ??
          join(dirname(teacherPath), `teacher-samples-${intAtLeast('--samples', opts.samples as string)}-cfg${dataCfg}.safetensors`),
        attention: {
          kind: 'clear',
          radius: numberIn('--radius', opts.radius as string, 0.5, 1e4),
          downFactor: intAtLeast('--down-factor', opts.downFactor as string),
        },
        dataCfg,
      };
      const every = intAtLeast('--checkpoint-every', opts.checkpointEvery as string);
      const sampleEvery = intAtLeast('--sample-every', opts.sampleEvery as string, 0);
      if (opts.resume) {
        const state = await readTrainingState<DistillConfig>(ckpt);
        config = state.config;
        run = state.model as unknown as DistillRun;
      } else if (existsSync(ckpt)) throw new UsageError(`${ckpt} exists: pass --resume to continue that run, or choose another --out`);
      if (!existsSync(run.teacher)) throw new UsageError(`--teacher ${run.teacher}: no such file`);
      const studentFile = join(out, 'student.safetensors');
      if (existsSync(studentFile) && !opts.overwrite && !opts.resume)
        throw new UsageError(`${studentFile} exists: pass --overwrite to replace it, or choose another --out`);
      const json = opts.json === true;
      const say = (line: string, event: Record<string, unknown>) =>
        json ? process.stdout.write(`${JSON.stringify(event)}\n`) : process.stderr.write(`${line}\n`);

      const device = await createDevice({ adapter: cmd.optsWithGlobals().adapter });
      const src = await openCheckpoint(run.teacher);
      const loaded = await loadModel(device, src, {}).finally(() => src.close());
      const down = run.attention.kind === 'clear' ? (run.attention.downFactor ?? 1) : 1;
      const progress = (what: string, total: number) => {
        const t0 = performance.now();
        return (done: number) => {
          const sec = (performance.now() - t0) / 1000;
          say(`${what} ${done}/${total}  ${(done / sec).toFixed(2)}/s  ETA ${(((total - done) * sec) / done).toFixed(0)} s`, {
            event: 'data-progress',
            done,
            total,
            seconds: sec,
          });
        };
      };
      const drawing = (count: number) => say(`drawing ${count} teacher samples into ${run.data}`, { event: 'data', count, file: run.data });
      const count = intAtLeast('--samples', opts.samples as string);
      let job: DistillJob<unknown>;
      if (loaded.model instanceof DitTransformer) {
        const teacher = loaded.model;
        if (!isDigitConfig(teacher) || src.metadata.prediction !== 'flow')
          throw new UsageError(`--teacher ${run.teacher}: not a digit teacher (a flow-matching DiT on 32×32×1 pixels, from cleardit train)`);
        const cfg = run.dataCfg ?? DIGIT_CFG;
        if (!existsSync(run.data)) {
          drawing(count);
          const drawn = await drawTeacherSamples(device, teacher, count, config.seed, cfg, progress('samples', count));
          mkdirSync(dirname(run.data), { recursive: true });
          await writeDigitSamples(run.data, drawn, cfg, { teacher: basename(run.teacher), seed: String(config.seed) });
        }
        job = digitJob(device, teacher, await readDigitSamples(run.data, cfg), run.attention, out, config.seed) as DistillJob<unknown>;
      } else if (loaded.model instanceof FluxTransformer) {
        const teacher = loaded.model;
        if (!existsSync(run.data)) {
          const files = (opts.embeddings as unknown as string[] | undefined) ?? [];
          if (!files.length)
            throw new UsageError(
              `--data ${run.data} does not exist: pass --embeddings FILE... (prompt embeddings, txt and y) for the FLUX teacher to draw its samples from`,
            );
          const [w, h] = [intAtLeast('--width', opts.width as string), intAtLeast('--height', opts.height as string)];
          if (w % 16 || h % 16) throw new UsageError(`--width ${w} / --height ${h}: FLUX sizes are multiples of 16 pixels`);
          const steps = opts.sampleSteps === undefined ? (teacher.config.guidanceEmbed ? 28 : 4) : intAtLeast('--sample-steps', opts.sampleSteps as string);
          drawing(count);
          const drawn = await drawFluxSamples(
            device,
            teacher,
            await readEmbeddings(files, teacher),
            count,
            h / 16,
            w / 16,
            config.seed,
            steps,
            progress('samples', count),
          );
          mkdirSync(dirname(run.data), { recursive: true });
          await writeFluxSamples(run.data, drawn, teacher.config);
        }
        job = fluxJob(device, teacher, await readFluxSamples(run.data, teacher.config), run.attention) as DistillJob<unknown>;
      } else throw new UsageError(`--teacher ${run.teacher}: a VAE is not a transformer to distill`);
      mkdirSync(out, { recursive: true });

      const plan = job.plan;
      config = { ...config, attnLayers: config.attnLayers.length ? config.attnLayers : plan.attnLayers };
      const student = clearStudent(device, job.teacherWeights, plan, down);
      const trainer = new DistillTrainer(device, job.teacher, job.student(student.weights), student.params, job.data, config);
      if (opts.resume) {
        await loadTrainingCheckpoint(ckpt, trainer);
        say(`resuming ${ckpt} at step ${trainer.step}/${config.steps}`, { event: 'resume', step: trainer.step });
      }
      let trainable = 0;
      for (const t of student.params.values()) trainable += t.numel;
      say(
        `distilling ${describeAttention(run.attention)} from ${run.teacher}: ${trainable.toLocaleString('en')} of ${job.teacherWeights.parameterCount.toLocaleString('en')} parameters train; ${job.data.count} teacher samples; L_attn on layers ${config.attnLayers.join(', ')}; ${device.adapter.name}`,
        { event: 'start', steps: config.steps, trainable, adapter: device.adapter.name, attention: run.attention },
      );
      const samples = async (step: number) => {
        const file = await job.sampleGrid?.(step);
        if (file) say(`wrote ${file}`, { event: 'samples', step, file });
      };
      const record = run as unknown as Record<string, unknown>;
      const seconds = await trainingLoop({
        device,
        trainer,
        steps: config.steps,
        checkpointEvery: every,
        sampleEvery,
        checkpoint: () => saveTrainingCheckpoint(ckpt, trainer, record),
        samples,
        describe: (r) => [
          `loss ${r.loss.toFixed(4)}  (fm ${r.fm.toFixed(4)}  pred ${r.pred.toFixed(5)}  attn ${r.attn.toFixed(5)})`,
          { loss: r.loss, fm: r.fm, pred: r.pred, attn: r.attn },
        ],
        say,
      });
      await job.writeStudent(studentFile, `distilled ${trainer.step} steps from ${basename(run.teacher)} by cleardit distill`);
      say(`wrote ${studentFile} after ${seconds.toFixed(1)} s`, { event: 'done', step: trainer.step, file: studentFile });
      device.destroy();
    });
}
