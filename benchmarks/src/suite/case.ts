// What a benchmark is and what one measurement records. The cases (cases.ts) are plain data plus a
// setup function over a Device, so the same definitions run in Node and in Chromium; peers (../peers)
// read the same shapes and write rows of the same form.
import type { Device } from '@cleardit/tensor';

export type Group = 'matmul' | 'attention' | 'block' | 'step' | 'train';

export interface BenchCase {
  /** Stable id, e.g. 'attention/flux/32x32/clear-r16': rows from every runtime and peer share it. */
  id: string;
  group: Group;
  /** The curve a chart draws this point on, e.g. 'full' or 'CLEAR r=16'. */
  series: string;
  /** Shapes and settings, flat, as they appear in the JSON. */
  shapes: Record<string, number | string>;
  /** x for charts: tokens (attention, block, step, train) or n (matmul). */
  size: number;
  /** Floating-point operations of one call: 2·M·N·K for a matmul, 4·ΣM·c for attention, the sum for a model. */
  flops: number;
  /** How `flops` was counted. */
  flopsRule: string;
  /** In `--quick`. */
  quick: boolean;
  /** Builds inputs on the device; the returned run() records one call (the harness syncs after it). */
  setup(device: Device): Promise<Prepared> | Prepared;
}

export interface Prepared {
  run(): void | Promise<void>;
  dispose(): void;
}

export interface Timing {
  /** Calls before timing: the first compiles every pipeline. */
  warmup: number;
  reps: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** 'gpu-timestamps' when the adapter has timestamp queries (then medianMs is GPU time), else 'wall'. */
  method: 'gpu-timestamps' | 'wall';
  /** Submit-to-done wall time, always measured. */
  wallMedianMs: number;
}

export interface ResultRow {
  id: string;
  group: Group;
  series: string;
  /** 'cleardit' or a peer: 'torch', 'onnxruntime-node', 'onnxruntime-web'. */
  impl: string;
  /** Where it ran: 'node' (Dawn), 'chromium', 'python'. */
  runtime: string;
  /** Version of the implementation (peer package version, or cleardit's). */
  version: string;
  /** The adapter or backend: 'llvmpipe', 'swiftshader', an NVIDIA card, 'cpu (2 threads)'. */
  adapter: string;
  /** True for a CPU fallback (software WebGPU adapter) or a CPU peer. */
  software: boolean;
  shapes: Record<string, number | string>;
  size: number;
  flops: number;
  flopsRule: string;
  timing: Timing;
  /** flops / median time. */
  gflops: number;
}

/** Rows that could not run, with why (a peer missing, a point over its time budget). */
export interface SkippedRow {
  id: string;
  impl: string;
  runtime: string;
  reason: string;
}

export interface RunFile {
  runtime: string;
  impl: string;
  adapter: string;
  date: string;
  host: string;
  /** Chromium's version, for the Chromium half. */
  browser?: string;
  rows: ResultRow[];
  skipped: SkippedRow[];
}

/** Every field a row must carry: the test checks the JSON against this list. */
export const ROW_FIELDS: (keyof ResultRow)[] = [
  'id',
  'group',
  'series',
  'impl',
  'runtime',
  'version',
  'adapter',
  'software',
  'shapes',
  'size',
  'flops',
  'flopsRule',
  'timing',
  'gflops',
];
