// The ONNX Runtime peer: matmul and full attention (the fused MultiHeadAttention) for the suite's
// matmul and full-attention ids, timed like ours (warm-up, repetitions, median, spread; wall time of
// session.run, which returns when the outputs are on the host). The same code runs against
// onnxruntime-node (CPU) and onnxruntime-web (WebGPU in Chromium): the module is passed in.
import type { BenchCase, ResultRow, SkippedRow } from '../suite/case.js';
import { matmulModel, attentionModel } from './onnx-model.js';

/** The part of onnxruntime's API used here (onnxruntime-common's, shared by -node and -web). */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, opts?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
  env: { versions?: Record<string, string> };
}
interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, { dispose?: () => void }>>;
  release(): Promise<void>;
}

export interface OrtPeerOptions {
  impl: 'onnxruntime-node' | 'onnxruntime-web';
  runtime: string;
  version: string;
  adapter: string;
  software: boolean;
  sessionOptions: Record<string, unknown>;
  callBudgetMs?: number;
  budgetMs?: number;
  onProgress?: (line: string) => void;
}

const filled = (n: number, seed: number) => {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
};

/** The cases this peer can run: matmuls and full attention. */
export const ortRuns = (c: BenchCase) => c.group === 'matmul' || (c.group === 'attention' && c.shapes.radius === 'full');

export async function runOrt(ort: OrtModule, cases: BenchCase[], o: OrtPeerOptions): Promise<{ rows: ResultRow[]; skipped: SkippedRow[] }> {
  const rows: ResultRow[] = [];
  const skipped: SkippedRow[] = [];
  const last = new Map<string, { flops: number; ms: number }>();
  for (const c of cases.filter(ortRuns)) {
    const prev = last.get(c.series);
    const predicted = prev ? (prev.ms * c.flops) / prev.flops : 0;
    if (predicted > (o.callBudgetMs ?? 15_000)) {
      skipped.push({ id: c.id, impl: o.impl, runtime: o.runtime, reason: `predicted ${(predicted / 1000).toFixed(1)} s per call, over budget` });
      continue;
    }
    let session: OrtSession;
    let feeds: Record<string, unknown>;
    if (c.group === 'matmul') {
      const n = Number(c.shapes.n);
      session = await ort.InferenceSession.create(matmulModel(), o.sessionOptions);
      feeds = { A: new ort.Tensor('float32', filled(n * n, 1), [n, n]), B: new ort.Tensor('float32', filled(n * n, 2), [n, n]) };
    } else {
      const L = Number(c.shapes.tokens);
      const width = Number(c.shapes.heads) * Number(c.shapes.headDim);
      session = await ort.InferenceSession.create(attentionModel(Number(c.shapes.heads)), o.sessionOptions);
      feeds = Object.fromEntries(['Q', 'K', 'V'].map((k, i) => [k, new ort.Tensor('float32', filled(L * width, i + 1), [1, L, width])]));
    }
    try {
      const call = async () => {
        const out = await session.run(feeds);
        for (const t of Object.values(out)) t.dispose?.();
      };
      await call();
      const times: number[] = [];
      const start = performance.now();
      while (times.length < 7 && (times.length < 3 || performance.now() - start < (o.budgetMs ?? 10_000))) {
        const t0 = performance.now();
        await call();
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const med = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
      last.set(c.series, { flops: c.flops, ms: med });
      rows.push({
        id: c.id,
        group: c.group,
        series: c.series,
        impl: o.impl,
        runtime: o.runtime,
        version: o.version,
        adapter: o.adapter,
        software: o.software,
        shapes: c.shapes,
        size: c.size,
        flops: c.flops,
        flopsRule: c.flopsRule,
        timing: { warmup: 1, reps: times.length, medianMs: med, minMs: times[0], maxMs: times[times.length - 1], method: 'wall', wallMedianMs: med },
        gflops: c.flops / med / 1e6,
      });
      o.onProgress?.(`${o.impl} ${c.id}: ${med.toFixed(1)} ms`);
    } catch (e) {
      skipped.push({ id: c.id, impl: o.impl, runtime: o.runtime, reason: `failed: ${(e as Error).message.split('\n')[0]}` });
    } finally {
      await session.release();
    }
  }
  return { rows, skipped };
}
