// Timing: warm up, then take the median of N runs, each ending in a full GPU sync. Results print as a
// table and, when OUT is set (the GPU machine), land in $OUT/<name>.json too.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Device } from '@cleardit/tensor';

export async function medianMs(
  device: Device,
  run: () => void,
  opts: { warmup?: number; reps?: number; budgetMs?: number } = {},
): Promise<{ median: number; reps: number }> {
  for (let i = 0; i < (opts.warmup ?? 1); i++) {
    run();
    await device.sync();
  }
  const times: number[] = [];
  const budget = opts.budgetMs ?? 20_000;
  const start = performance.now();
  for (let i = 0; i < (opts.reps ?? 5); i++) {
    const t0 = performance.now();
    run();
    await device.sync();
    times.push(performance.now() - t0);
    if (performance.now() - start > budget && times.length >= 3) break;
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], reps: times.length };
}

export function table(rows: Record<string, string | number>[]): string {
  if (!rows.length) return '';
  const cols = Object.keys(rows[0]);
  const w = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(w[i])).join('  ');
  return [line(cols), line(w.map((n) => '-'.repeat(n))), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
}

export function save(name: string, data: unknown): void {
  const out = process.env.OUT;
  if (!out) return;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.json`), JSON.stringify(data, null, 2));
}
