// Quiet by default: Dawn's native code prints adapter-probing notes straight to stderr ("Warning:
// maxDynamicUniformBuffersPerPipelineLayout artificially reduced…", Vulkan loader complaints), where
// no JavaScript can intercept them. So, unless --verbose, the command runs itself as a child whose
// stderr passes through a filter that drops exactly those lines and forwards everything else as it
// arrives (progress bars included: the child is told stderr is a terminal, and how wide). Signals
// are forwarded to the child, and the child stops when the parent is killed outright.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = 'CLEARDIT_STDERR_FILTERED';
/** Set in the child when the parent's stderr is a terminal: its width in columns. */
export const STDERR_TTY = 'CLEARDIT_STDERR_TTY';

/** Lines Dawn prints while probing adapters: harmless, and shown only with --verbose. */
const NOISE = [
  /^Warning: max\w+ artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
  /^Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER$/,
  /^\s+at CheckVkSuccessImpl \(.*\)$/,
  /^vkCreateInstance: Found no drivers!$/,
];

export const isNoise = (line: string) => NOISE.some((re) => re.test(line));

/** A stream filter: whole noise lines are dropped, everything else is passed on as soon as it is known not to be noise. */
export function noiseFilter(write: (s: string) => void): { push(chunk: string): void; end(): void } {
  let held = '';
  let lastDropped = false;
  const could = (partial: string) => /^(W|Wa|War|Warn|Warni|Warnin|Warning|Warning:.*|\s+(a|at|at .*)?|v|vk.*)$/.test(partial);
  return {
    push(chunk) {
      const parts = (held + chunk).split('\n');
      held = parts.pop() ?? '';
      for (const line of parts) {
        // Dawn follows a Vulkan error with an empty line
        if (isNoise(line) || (lastDropped && line === '')) {
          lastDropped = line !== '';
          continue;
        }
        lastDropped = false;
        write(`${line}\n`);
      }
      if (held && !could(held)) {
        write(held);
        held = '';
        lastDropped = false;
      }
    },
    end() {
      if (held && !isNoise(held)) write(held);
      held = '';
    },
  };
}

/**
 * In the parent: runs this same command as a filtered child and exits with its status. Returns
 * without doing anything in the child, with --verbose, or when CLEARDIT_VERBOSE=1.
 */
export async function runQuietly(argv: readonly string[]): Promise<void> {
  // only where this module is the program's entry (a bundle), not when imported by tests
  if (!import.meta.url.endsWith('.mjs')) return;
  if (process.env[CHILD]) {
    // the child runs the bundle directly: give it the entry path the parent was started with
    // (bundled models are found beside it)
    process.argv[1] = process.env[CHILD];
    // if the parent dies (even by SIGKILL) its end of the channel closes: stop too
    process.channel?.unref();
    process.on('disconnect', () => process.exit(137));
    return;
  }
  if (argv.includes('--verbose') || process.env.CLEARDIT_VERBOSE === '1') return;
  // the running module itself (the published bundle, or tools/tsrun.mjs's bundle of the sources)
  const self = fileURLToPath(import.meta.url);
  // Its own process group, so signals reach it once, forwarded by the parent, whether they came from
  // the terminal (Ctrl-C) or from kill; the IPC channel tells it when the parent is gone.
  const child = spawn(process.execPath, [...process.execArgv, self, ...argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    detached: true,
    env: { ...process.env, [CHILD]: argv[1], ...(process.stderr.isTTY ? { [STDERR_TTY]: String(process.stderr.columns ?? 80) } : {}) },
  });
  const filter = noiseFilter((s) => process.stderr.write(s));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => filter.push(c));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  const code = await new Promise<number>((resolve) => child.on('close', (c, sig) => resolve(c ?? (sig === 'SIGINT' ? 130 : 1))));
  filter.end();
  process.exit(code);
}
