// Runs cases on one device and returns rows, the same code in Node and in the page. A point whose
// predicted time per call (the previous point of its series, scaled by FLOPs) passes the budget is
// skipped and listed with the prediction, so a full suite stays a few minutes on a software adapter.
import type { Device } from '@cleardit/tensor';
import type { BenchCase, ResultRow, SkippedRow } from './case.js';
import { measure, type MeasureOptions } from './measure.js';

export interface RunOptions extends MeasureOptions {
  runtime: string;
  version: string;
  /** Skip a point predicted to take longer than this per call (ms). */
  callBudgetMs?: number;
  /** Skip every case left once this many ms have passed since the start (a GPU machine's lease). */
  deadlineMs?: number;
  onProgress?: (line: string) => void;
}

export async function runCases(device: Device, cases: BenchCase[], o: RunOptions): Promise<{ rows: ResultRow[]; skipped: SkippedRow[] }> {
  const rows: ResultRow[] = [];
  const skipped: SkippedRow[] = [];
  const last = new Map<string, { flops: number; ms: number }>();
  const budget = o.callBudgetMs ?? 15_000;
  const start = performance.now();
  for (const c of cases) {
    if (o.deadlineMs !== undefined && performance.now() - start > o.deadlineMs) {
      skipped.push({ id: c.id, impl: 'cleardit', runtime: o.runtime, reason: `the run's ${(o.deadlineMs / 1000).toFixed(0)} s were spent` });
      continue;
    }
    const prev = last.get(c.series);
    const predicted = prev ? (prev.ms * c.flops) / prev.flops : 0;
    if (predicted > budget) {
      skipped.push({
        id: c.id,
        impl: 'cleardit',
        runtime: o.runtime,
        reason: `predicted ${(predicted / 1000).toFixed(1)} s per call, over the ${(budget / 1000).toFixed(0)} s budget`,
      });
      o.onProgress?.(`${c.id}: skipped (predicted ${(predicted / 1000).toFixed(1)} s per call)`);
      continue;
    }
    const prepared = await c.setup(device);
    try {
      const timing = await measure(device, prepared, o);
      last.set(c.series, { flops: c.flops, ms: timing.wallMedianMs });
      rows.push({
        id: c.id,
        group: c.group,
        series: c.series,
        impl: 'cleardit',
        runtime: o.runtime,
        version: o.version,
        adapter: device.adapter.name,
        software: device.adapter.software,
        shapes: c.shapes,
        size: c.size,
        flops: c.flops,
        flopsRule: c.flopsRule,
        timing,
        gflops: c.flops / timing.medianMs / 1e6,
      });
      o.onProgress?.(`${c.id}: ${timing.medianMs.toFixed(1)} ms (${timing.reps} reps, ${(c.flops / timing.medianMs / 1e6).toFixed(1)} GFLOP/s)`);
    } finally {
      prepared.dispose();
      await device.sync();
    }
  }
  return { rows, skipped };
}
