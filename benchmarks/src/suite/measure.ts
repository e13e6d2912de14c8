// Timing that can be trusted: warm-up calls first (the first compiles every pipeline), then repeated
// calls each ending in a full sync, until `minReps` are in and the budget is spent or `maxReps` are
// in. The median and the spread (min, max) are reported. Where the adapter has timestamp queries
// the median is of GPU time (the kernels' own), with the wall time beside it; elsewhere wall time
// from the first record to the GPU's done.
import type { Device } from '@cleardit/tensor';
import type { Prepared, Timing } from './case.js';

export interface MeasureOptions {
  warmup?: number;
  minReps?: number;
  maxReps?: number;
  /** Stop adding repetitions once this many ms were spent timing (after minReps). */
  budgetMs?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function measure(device: Device, p: Prepared, o: MeasureOptions = {}): Promise<Timing> {
  const warmup = o.warmup ?? 1;
  for (let i = 0; i < warmup; i++) {
    await p.run();
    await device.sync();
  }
  const gpu = device.canTimeGpu;
  const wall: number[] = [];
  const gpuMs: number[] = [];
  const start = performance.now();
  const minReps = o.minReps ?? 3;
  const maxReps = o.maxReps ?? 7;
  while (wall.length < maxReps && (wall.length < minReps || performance.now() - start < (o.budgetMs ?? 10_000))) {
    await device.sync();
    if (gpu) device.startGpuTimer();
    const t0 = performance.now();
    await p.run();
    if (gpu) {
      const ms = await device.stopGpuTimer();
      if (ms !== null) gpuMs.push(ms);
    } else await device.sync();
    wall.push(performance.now() - t0);
  }
  const useGpu = gpu && gpuMs.length === wall.length;
  const times = useGpu ? gpuMs : wall;
  return {
    warmup,
    reps: times.length,
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    method: useGpu ? 'gpu-timestamps' : 'wall',
    wallMedianMs: median(wall),
  };
}
