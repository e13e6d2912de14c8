// The cleardit command line. Each subcommand lives in commands/; this file wires them together and
// maps errors to exit codes: 0 ok, 1 a failure of what was checked or run, 2 bad usage or input.
import { Command, CommanderError } from 'commander';
import { deviceCommand } from './commands/device.js';
import { flopsCommand } from './commands/flops.js';
import { checkCommand } from './commands/check.js';
import { inspectCommand } from './commands/inspect.js';
import { generateCommand } from './commands/generate.js';
import { encodeCommand } from './commands/encode.js';
import { trainCommand } from './commands/train.js';
import { distillCommand } from './commands/distill.js';
import { evalCommand } from './commands/eval.js';
import { serveCommand } from './commands/serve.js';
import { workerCommand } from './commands/worker.js';
import { InputError } from '@cleardit/tensor';
import { EXIT } from './exit.js';
import { runQuietly } from './quiet.js';

await runQuietly(process.argv);

const program = new Command();
program
  .name('cleardit')
  .description('Diffusion transformers on WebGPU, made cheap at high resolution with CLEAR local attention.')
  .option('--adapter <name>', 'WebGPU adapter: auto, hardware, llvmpipe, swiftshader, or text in its name (env CLEARDIT_ADAPTER)')
  .option('--verbose', "show Dawn's adapter-probing messages, and where the time went")
  .showHelpAfterError('(run cleardit --help for usage)')
  .exitOverride();

generateCommand(program);
encodeCommand(program);
trainCommand(program);
distillCommand(program);
evalCommand(program);
serveCommand(program);
workerCommand(program);
deviceCommand(program);
checkCommand(program);
inspectCommand(program);
flopsCommand(program);

try {
  await program.parseAsync(process.argv);
  process.exit(EXIT.ok);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; every parse error (unknown flag, missing argument) is a usage error
    process.exit(e.exitCode === 0 ? EXIT.ok : EXIT.usage);
  }
  const err = e as Error;
  if (err.name === 'SamplingAborted') {
    // Ctrl-C: the loop stopped between steps; nothing was written
    process.stderr.write(`cleardit: interrupted: ${err.message}; no output written\n`);
    process.exit(130);
  }
  process.stderr.write(`cleardit: ${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}\n`);
  // problems with what the user gave (flags, files, their shapes and geometry: every InputError) exit 2; the rest 1
  process.exit(err instanceof InputError ? EXIT.usage : EXIT.failed);
}
