// Progress for long work: a bar with step, it/s and ETA on a terminal (cli-progress), plain lines when
// stderr is not a terminal, or JSON lines on stdout with --json (one object per event).
import { SingleBar, Presets } from 'cli-progress';
import { STDERR_TTY } from '../quiet.js';

export type ProgressEvent =
  | { event: 'start'; total: number; [k: string]: unknown }
  | { event: 'step'; step: number; total: number; t: number; itPerSec: number; etaSeconds: number }
  | { event: 'done'; output: string; seconds: number; [k: string]: unknown };

export interface Reporter {
  /** A note for the user; held back until sampling starts, so a usage error stays one line. */
  info(line: string): void;
  start(total: number, extra?: Record<string, unknown>): void;
  step(step: number, total: number, t: number): void;
  done(output: string, extra?: Record<string, unknown>): void;
}

export function makeReporter(mode: 'json' | 'auto'): Reporter {
  let began = 0;
  let bar: SingleBar | undefined;
  // a terminal, or the quiet parent's terminal seen through its noise filter (quiet.ts)
  const tty = (process.stderr.isTTY === true || !!process.env[STDERR_TTY]) && mode === 'auto';
  const rate = (step: number) => step / Math.max(1e-9, (performance.now() - began) / 1000);
  const emit = (e: ProgressEvent) => process.stdout.write(`${JSON.stringify(e)}\n`);
  const notes: string[] = [];
  return {
    info(line) {
      notes.push(line);
    },
    start(total, extra = {}) {
      began = performance.now();
      if (mode !== 'json') for (const n of notes) process.stderr.write(`${n}\n`);
      if (mode === 'json') emit({ event: 'start', total, notes, ...extra });
      else if (tty) {
        bar = new SingleBar(
          {
            format: 'sampling |{bar}| {value}/{total} steps | {rate} it/s | ETA {eta_formatted}',
            hideCursor: true,
            stream: process.stderr,
            noTTYOutput: !process.stderr.isTTY,
          },
          Presets.shades_classic,
        );
        bar.start(total, 0, { rate: '0.00' });
      }
    },
    step(step, total, t) {
      const r = rate(step);
      const eta = (total - step) / r;
      if (mode === 'json') emit({ event: 'step', step, total, t, itPerSec: Number(r.toFixed(3)), etaSeconds: Number(eta.toFixed(2)) });
      else if (bar) bar.update(step, { rate: r.toFixed(2) });
      else process.stderr.write(`step ${step}/${total}  t=${t.toPrecision(4)}  ${r.toFixed(2)} it/s  ETA ${eta.toFixed(1)} s\n`);
    },
    done(output, extra = {}) {
      bar?.stop();
      const seconds = (performance.now() - began) / 1000;
      if (mode === 'json') emit({ event: 'done', output, seconds: Number(seconds.toFixed(3)), ...extra });
      else process.stderr.write(`wrote ${output} (${seconds.toFixed(1)} s)\n`);
    },
  };
}
