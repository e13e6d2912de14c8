// Learning-rate schedules for Optimizer.schedule: each maps the step index (0 for the first step) to a
// factor on the base lr, as torch's LambdaLR does.
import type { Schedule } from './optimizer.js';

export const constantSchedule: Schedule = () => 1;

/** Linear warmup from 1/warmup to 1 over `warmup` steps, then constant. */
export function linearWarmup(warmup: number): Schedule {
  return (step) => (warmup > 0 && step < warmup ? (step + 1) / warmup : 1);
}

/** Linear warmup, then cosine decay to `minFactor` at `total` steps (and `minFactor` after). */
export function warmupCosine(warmup: number, total: number, minFactor = 0): Schedule {
  return (step) => {
    if (warmup > 0 && step < warmup) return (step + 1) / warmup;
    const t = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
    return minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * t));
  };
}
