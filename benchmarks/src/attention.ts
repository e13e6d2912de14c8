// Full vs CLEAR attention per call on FLUX's head layout (24 heads × 128, T = 512 unless told), for
// growing square grids: time, effective GFLOP/s (4·ΣM·c / time), the measured speedup and the FLOP
// ratio side by side. A point whose predicted time passes the budget is skipped and marked.
import { type Device, randn } from '@cleardit/tensor';
import { clearPlan, fullPlan, uploadPlan, attentionForward, type AttentionPlan } from '@cleardit/attention';
import { medianMs, table, save } from './harness.js';

export interface AttentionBenchOptions {
  grids?: number[];
  radius?: number;
  heads?: number;
  headDim?: number;
  textLength?: number;
  /** Skip a point predicted to take longer than this per call (ms). */
  budgetMs?: number;
}

async function timeCall(device: Device, plan: AttentionPlan, H: number, D: number): Promise<number> {
  const L = plan.queryLength;
  const dp = uploadPlan(device, plan);
  const [q, k, v] = [randn(device, [1, H, L, D], 1), randn(device, [1, H, L, D], 2), randn(device, [1, H, L, D], 3)];
  const { median } = await medianMs(device, () => device.scope(() => void attentionForward(dp, q, k, v)), { warmup: 1, reps: 3, budgetMs: 30_000 });
  for (const t of [q, k, v]) t.dispose();
  dp.dispose();
  return median;
}

export async function benchAttention(device: Device, o: AttentionBenchOptions = {}): Promise<void> {
  const H = o.heads ?? 24;
  const D = o.headDim ?? 128;
  const T = o.textLength ?? 512;
  const r = o.radius ?? 16;
  const budget = o.budgetMs ?? 60_000;
  const grids = o.grids ?? [16, 32, 48, 64, 96, 128];
  const c = H * D;
  const rows: Record<string, string | number>[] = [];
  let lastFull: { L: number; ms: number } | undefined;
  let lastClear: { work: number; ms: number } | undefined;
  for (const s of grids) {
    const cp = clearPlan({ height: s, width: s, textLength: T, radius: r });
    const fp = fullPlan(T + s * s);
    const L = T + s * s;
    const predictFull = lastFull ? lastFull.ms * (L / lastFull.L) ** 2 : 0;
    const predictClear = lastClear ? (lastClear.ms * cp.visiblePairs) / lastClear.work : 0;
    const full = predictFull > budget ? NaN : await timeCall(device, fp, H, D);
    const clear = predictClear > budget ? NaN : await timeCall(device, cp, H, D);
    if (!Number.isNaN(full)) lastFull = { L, ms: full };
    if (!Number.isNaN(clear)) lastClear = { work: cp.visiblePairs, ms: clear };
    const gf = (pairs: number, ms: number) => (Number.isNaN(ms) ? 'skipped' : ((4 * pairs * c) / ms / 1e6).toFixed(1));
    rows.push({
      grid: `${s}×${s}`,
      tokens: L,
      'full ms': Number.isNaN(full) ? 'skipped' : full.toFixed(0),
      'full GFLOP/s': gf(fp.visiblePairs, full),
      [`CLEAR r=${r} ms`]: Number.isNaN(clear) ? 'skipped' : clear.toFixed(0),
      'CLEAR GFLOP/s': gf(cp.visiblePairs, clear),
      speedup: Number.isNaN(full) || Number.isNaN(clear) ? '—' : `${(full / clear).toFixed(2)}×`,
      'FLOP ratio': `${(fp.visiblePairs / cp.visiblePairs).toFixed(2)}×`,
    });
    console.log(`  ${s}×${s} done`);
  }
  console.log(`\nattention forward, ${H} heads × ${D}, T = ${T}, on ${device.adapter.name} — ${device.adapter.description}`);
  console.log(table(rows));
  save('attention', { adapter: device.adapter, heads: H, headDim: D, textLength: T, radius: r, rows });
}
