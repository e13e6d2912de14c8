// `cleardit train`: trains the digit teacher (a class-conditional DiT, flow matching, EMA) on the
// `mnist` package's digits, with a checkpoint every N steps and on Ctrl-C, `--resume` to continue
// one exactly, progress lines, and a sample grid as it goes. At the end it writes the EMA weights as
// a model file (diffusers DiT names, config in the metadata).
import { type Command, Option } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createDevice, writeSafetensorsFile } from '@cleardit/tensor/node';
import { initDitWeights } from '@cleardit/models';
import { FlowTrainer, TEACHER_DEFAULTS, type TrainConfig } from '@cleardit/distill';
import { loadDigits, loadTrainingCheckpoint, readTrainingState, saveTrainingCheckpoint } from '@cleardit/distill/node';
import { UsageError } from '../exit.js';
import { intAtLeast, numberIn } from '../parse.js';
import { encodePng, writePng } from '../generate/png.js';
import { DIGIT_CFG, digitNoise, gridPixels, sampleDigits, viewDit } from '@cleardit/pipelines';
import { flowModel, teacherConfig } from '../train/digits.js';
import { trainingLoop } from '../train/loop.js';

const int = (name: string, v: string | undefined, min = 1) => intAtLeast(`--${name}`, v, min);
const num = (name: string, v: string | undefined, lo: number, hi: number) => numberIn(`--${name}`, v, lo, hi);

export function trainCommand(program: Command): void {
  const D = TEACHER_DEFAULTS;
  program
    .command('train')
    .description('train the digit teacher: a class-conditional DiT on MNIST digits with flow matching')
    .requiredOption('-o, --out <dir>', 'run folder: checkpoint.safetensors (and .prev), samples-<step>.png, teacher.safetensors')
    .option('--steps <n>', 'optimizer steps in all (the learning rate decays over them)', String(D.steps))
    .option('--batch <n>', 'images per step', String(D.batch))
    .option('--width <n>', 'DiT hidden size', '64')
    .option('--depth <n>', 'DiT blocks', '4')
    .option('--heads <n>', 'attention heads', '4')
    .option('--lr <x>', 'peak AdamW learning rate', String(D.lr))
    .option('--warmup <n>', 'linear warm-up steps, then cosine decay to lr/10', String(D.warmup))
    .option('--ema <d>', 'EMA decay of the weights used for sampling', String(D.ema))
    .option('--seed <n>', 'seed of the weights, the data order and the noise', String(D.seed))
    .option('--checkpoint-every <n>', 'steps between checkpoints (also written on Ctrl-C and at the end)', '100')
    .option('--sample-every <n>', 'steps between sample grids (0: only at the end)', '500')
    .option('--resume', 'continue the run in --out from its checkpoint, exactly as if never stopped (its settings, --steps included, come from the checkpoint)')
    .addOption(new Option('--json', 'progress as one JSON object per line on stdout'))
    .addHelpText(
      'after',
      `
A step trains on --batch digits (32×32, one channel, [-1, 1]) at a random time t with the velocity
target ε − x₀, drops 10% of labels for classifier-free guidance, clips gradients at 1 and updates an
EMA. Batches, noise and times are functions of (seed, step): a run killed at any point and resumed
with --resume ends with exactly the weights of an uninterrupted one.

Examples:
  cleardit train -o runs/teacher                      # 2,700 steps, width 64, depth 4
  cleardit train -o runs/teacher --resume             # continue after Ctrl-C or a crash
  cleardit train -o runs/small --steps 200 --width 32 --depth 2 --sample-every 50`,
    )
    .action(async (opts: Record<string, string | boolean | undefined>, cmd: Command) => {
      const out = String(opts.out);
      const ckpt = join(out, 'checkpoint.safetensors');
      let config: TrainConfig = {
        ...D,
        steps: int('steps', opts.steps as string),
        batch: int('batch', opts.batch as string),
        lr: num('lr', opts.lr as string, 0, 1),
        warmup: int('warmup', opts.warmup as string, 0),
        ema: num('ema', opts.ema as string, 0, 1),
        seed: int('seed', opts.seed as string, 0),
      };
      let arch = { width: int('width', opts.width as string), depth: int('depth', opts.depth as string), heads: int('heads', opts.heads as string) };
      if (arch.width % arch.heads || (arch.width / arch.heads) % 4)
        throw new UsageError(`--width ${arch.width} / --heads ${arch.heads}: the head size must be a multiple of 4`);
      const every = int('checkpoint-every', opts.checkpointEvery as string);
      const sampleEvery = int('sample-every', opts.sampleEvery as string, 0);
      if (opts.resume) {
        // the run's own settings win: a resumed run is the same run
        const state = await readTrainingState(ckpt);
        config = state.config;
        arch = state.model as typeof arch;
      } else if (existsSync(ckpt)) throw new UsageError(`${ckpt} exists: pass --resume to continue that run, or choose another --out`);
      mkdirSync(out, { recursive: true });
      const json = opts.json === true;
      const say = (line: string, event: Record<string, unknown>) =>
        json ? process.stdout.write(`${JSON.stringify(event)}\n`) : process.stderr.write(`${line}\n`);

      const device = await createDevice({ adapter: cmd.optsWithGlobals().adapter });
      const dc = teacherConfig(arch.width, arch.depth, arch.heads);
      const weights = initDitWeights(device, dc, config.seed);
      const dit = viewDit(device, dc, weights.tensors);
      const { train } = loadDigits();
      const trainer = new FlowTrainer(device, flowModel(dit), weights.tensors, train, config);
      const model = { family: 'dit', ...arch };
      if (opts.resume) {
        await loadTrainingCheckpoint(ckpt, trainer);
        say(`resuming ${ckpt} at step ${trainer.step}/${config.steps}`, { event: 'resume', step: trainer.step });
      }
      say(
        `training the digit teacher: DiT width ${arch.width}, depth ${arch.depth}, ${arch.heads} heads, ${weights.parameterCount.toLocaleString('en')} parameters; ${train.labels.length} digits; ${device.adapter.name}`,
        { event: 'start', ...arch, steps: config.steps, adapter: device.adapter.name },
      );

      const samples = async (step: number) => {
        const labels = Array.from({ length: 10 }, (_, i) => i);
        // the EMA's tensors are replaced every step: view the current ones, then release the view's plans only
        const view = viewDit(device, dc, trainer.ema.tensors);
        const img = await sampleDigits(device, view, labels, digitNoise(labels.map(() => 1)));
        view.weights.tensors.clear();
        view.dispose();
        const g = gridPixels(await img.toFloat32(), 10);
        img.dispose();
        const file = join(out, `samples-${step}.png`);
        await writePng(
          file,
          encodePng(g.pixels, g.width, g.height, { parameters: `digits 0-9, step ${step}, Euler 20 steps, CFG ${DIGIT_CFG}, seed 1 for each` }, 1),
          true,
        );
        say(`wrote ${file}`, { event: 'samples', step, file });
      };
      const seconds = await trainingLoop({
        device,
        trainer,
        steps: config.steps,
        checkpointEvery: every,
        sampleEvery,
        checkpoint: () => saveTrainingCheckpoint(ckpt, trainer, model),
        samples,
        describe: (r) => [`loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}`, { loss: r.loss, lr: r.lr }],
        say,
      });
      const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
      for (const [k, t] of trainer.ema.tensors) tensors[k] = { dtype: 'F32', shape: [...t.shape], data: await t.toFloat32() };
      const meta = {
        config: JSON.stringify({
          input_size: 32,
          patch_size: 2,
          in_channels: 1,
          hidden_size: arch.width,
          depth: arch.depth,
          num_heads: arch.heads,
          mlp_ratio: 4,
          num_classes: 10,
          learn_sigma: false,
        }),
        prediction: 'flow',
        trained: `${trainer.step} steps, cleardit train`,
      };
      const file = join(out, 'teacher.safetensors');
      await writeSafetensorsFile(file, tensors, meta, { overwrite: true });
      say(`wrote ${file} (EMA weights) after ${seconds.toFixed(1)} s`, { event: 'done', step: trainer.step, file });
      device.destroy();
    });
}
