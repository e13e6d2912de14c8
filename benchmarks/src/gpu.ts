// The Node half of the suite on a GPU machine (../shared/device/README.md): every case, the large
// grids too, on the adapter createDevice picks (the NVIDIA card through Dawn's Vulkan backend), within
// 7 minutes; writes $OUT/node-<adapter>.json for `pnpm bench report` (copy it to benchmarks/results-gpu/).
//   bash ../shared/device/pack.sh benchmarks/src/gpu.ts     (here, after pnpm install)
//   bash .gpu/run.sh [--only TEXT] [--adapter NAME]          (there; with the device tool: carry [".gpu"])
// The packages must be built first (pnpm build): pack.sh bundles their dist/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDevice } from '@cleardit/tensor/node';
import { suiteCases } from './suite/cases.js';
import { runCases } from './suite/run.js';
import type { RunFile } from './suite/case.js';
import { CLEARDIT_VERSION } from './suite/version.js';

const { values } = parseArgs({ options: { adapter: { type: 'string' }, only: { type: 'string' } } });
const device = await createDevice({ adapter: values.adapter });
console.log(`node: ${device.adapter.name} (${device.adapter.backend}${device.adapter.software ? ', software' : ''}) — ${device.adapter.description}`);
const cases = suiteCases({ large: !device.adapter.software }).filter((c) => !values.only || c.id.includes(values.only));
const { rows, skipped } = await runCases(device, cases, {
  runtime: 'node',
  version: CLEARDIT_VERSION,
  callBudgetMs: 20_000,
  deadlineMs: 7 * 60_000,
  budgetMs: 3_000,
  onProgress: (l) => console.log(`  ${l}`),
});
const file: RunFile = { runtime: 'node', impl: 'cleardit', adapter: device.adapter.name, date: new Date().toISOString(), host: hostname(), rows, skipped };
const out = process.env.OUT;
if (out) {
  mkdirSync(out, { recursive: true });
  const path = join(out, `node-${device.adapter.name.replace(/[^\w.-]+/g, '_')}.json`);
  writeFileSync(path, JSON.stringify(file, null, 2));
  console.log(`wrote ${path}`);
}
console.log('\ncase | ms (median) | GFLOP/s | timing');
for (const r of rows) console.log(`${r.id} | ${r.timing.medianMs.toFixed(2)} | ${r.gflops.toFixed(1)} | ${r.timing.method}`);
device.destroy();
process.exit(0);
