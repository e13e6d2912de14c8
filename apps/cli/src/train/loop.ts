// The loop `cleardit train` and `cleardit distill` share: step until done or Ctrl-C, print each
// step with it/s and ETA, checkpoint every N steps and at the end, draw a sample grid every M, and on
// Ctrl-C leave a checkpoint and exit 130.
import type { Device } from '@cleardit/tensor';

export interface LoopOptions<R extends { step: number }> {
  device: Device;
  trainer: { step: number; trainStep(): Promise<R> };
  steps: number;
  checkpointEvery: number;
  /** 0: only at the end. */
  sampleEvery: number;
  checkpoint(): Promise<void>;
  samples(step: number): Promise<void>;
  /** The progress line of a step and its extra JSON fields. */
  describe(r: R): [string, Record<string, unknown>];
  say(line: string, event: Record<string, unknown>): void;
}

/** Runs the loop; returns the seconds it took (having exited the process on Ctrl-C). */
export async function trainingLoop<R extends { step: number }>(o: LoopOptions<R>): Promise<number> {
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  const started = performance.now();
  const first = o.trainer.step;
  while (o.trainer.step < o.steps && !stop) {
    const r = await o.trainer.trainStep();
    const rate = (r.step - first) / ((performance.now() - started) / 1000);
    const eta = (o.steps - r.step) / rate;
    const [line, fields] = o.describe(r);
    o.say(`step ${r.step}/${o.steps}  ${line}  ${rate.toFixed(2)} it/s  ETA ${eta.toFixed(0)} s`, {
      event: 'step',
      step: r.step,
      total: o.steps,
      ...fields,
      itPerSec: rate,
      etaSeconds: eta,
    });
    if (r.step % o.checkpointEvery === 0) await o.checkpoint();
    if (o.sampleEvery && r.step % o.sampleEvery === 0) await o.samples(r.step);
  }
  await o.checkpoint();
  if (stop) {
    o.say(`interrupted at step ${o.trainer.step}: checkpoint written; continue with --resume`, { event: 'interrupted', step: o.trainer.step });
    o.device.destroy();
    process.exit(130);
  }
  if (!o.sampleEvery || o.trainer.step % o.sampleEvery) await o.samples(o.trainer.step);
  return (performance.now() - started) / 1000;
}
