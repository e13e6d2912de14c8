// `pnpm bench`: the cross-runtime suite (suite/cases.ts) in Node (Dawn) and in Chromium, beside the
// peers present on the machine (PyTorch on the CPU, onnxruntime-node, onnxruntime-web), one JSON file
// per runtime or peer under --out. `pnpm bench report` turns those files into docs/benchmarks.md's
// generated section and its charts. `pnpm bench detail NAME` runs the single-purpose benchmarks the
// kernels issue used (ops, train, train-dit).
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createDevice, writeFileAtomic } from '@cleardit/tensor/node';
import { suiteCases } from './suite/cases.js';
import { runCases } from './suite/run.js';
import type { RunFile, ResultRow, SkippedRow } from './suite/case.js';
import { CLEARDIT_VERSION } from './suite/version.js';
import { runTorch } from './peers/torch.js';
import { runOrtNode } from './peers/ort-node.js';
import { runInChromium, CHROMIUM_ADAPTERS } from './chromium.js';
import { writeReport } from './report/report.js';
import { runDetail, DETAILS } from './detail.js';

const HELP = `Usage:
  pnpm bench [--quick] [--out DIR] [--runtimes node,chromium] [--peers torch,ort] [--only TEXT]
  pnpm bench report [--from DIR ...] [--doc FILE]
  pnpm bench detail ${Object.keys(DETAILS).join('|')} [--adapter NAME]

The suite: matmul GFLOP/s; full vs CLEAR attention per call on FLUX's head layout (24 heads × 128,
T = 512, r = 8, 16, 32) and on the digit model's (4 × 16, r = 4) over growing grids; one block and one
sampling step of the digit model and of a FLUX-shaped stack, full vs CLEAR; one DiT training step.
The same definitions run in Node (Dawn) and in Chromium (playwright-core, Debian's chromium).
Peers, where present: PyTorch on the CPU (python3 + torch), onnxruntime-node, onnxruntime-web (WebGPU).

Options:
  --quick              the smallest case of each kind (under a minute)
  --out DIR            where the JSON goes (default benchmarks/results); files there are replaced
  --runtimes LIST      node, chromium (default both)
  --peers LIST         torch, ort (default both; 'none' for none)
  --only TEXT[,TEXT]   only cases whose id contains one of them
  --adapter NAME       Node's adapter (llvmpipe, swiftshader, or a GPU's name)
  --chromium-adapter A ${Object.keys(CHROMIUM_ADAPTERS).join(', ')} (default swiftshader)
  --budget SECONDS     skip a point predicted to take longer per call (default 15; --quick 3)

Rows carry the runtime, the adapter (and whether it is a software fallback), the shapes, the FLOP count
(2·M·N·K; 4·ΣM·c for attention), the median and spread of the repetitions, and the timing method
(GPU timestamp queries where the adapter has them, else submit-to-done wall time).
`;

const argv = process.argv.slice(2);
const command = argv[0] === 'report' || argv[0] === 'detail' ? argv.shift() : 'run';
const { values, positionals } = parseArgs({
  args: argv,
  allowPositionals: true,
  options: {
    quick: { type: 'boolean' },
    out: { type: 'string' },
    runtimes: { type: 'string' },
    peers: { type: 'string' },
    only: { type: 'string' },
    adapter: { type: 'string' },
    'chromium-adapter': { type: 'string' },
    budget: { type: 'string' },
    from: { type: 'string', multiple: true },
    doc: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const root = findRoot();
function findRoot(): string {
  for (let dir = resolve(process.cwd()); ; dir = resolve(dir, '..')) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (resolve(dir, '..') === dir) return process.cwd();
  }
}
const version = CLEARDIT_VERSION;

async function writeRun(dir: string, name: string, file: RunFile): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  const replacing = existsSync(path);
  await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(file, null, 2) + '\n'), { overwrite: true });
  console.log(`wrote ${path} (${file.rows.length} rows, ${file.skipped.length} skipped)${replacing ? ', replacing the previous run' : ''}`);
}

const list = (s: string | undefined, all: string[]) => (s === undefined ? all : s === 'none' ? [] : s.split(','));

async function run(): Promise<void> {
  const quick = values.quick === true;
  const out = resolve(values.out ?? join(root, 'benchmarks', 'results'));
  const runtimes = list(values.runtimes, ['node', 'chromium']);
  const peers = list(values.peers, ['torch', 'ort']);
  const budgetMs = 1000 * Number(values.budget ?? (quick ? 3 : 15));
  const only = values.only?.split(',');
  const cases = suiteCases({ quick }).filter((c) => !only || only.some((t) => c.id.includes(t)));
  if (!cases.length) throw new Error(`no case matches --only '${values.only}'`);
  const measure = quick ? { minReps: 3, maxReps: 5, budgetMs: 2_000 } : { minReps: 3, maxReps: 7, budgetMs: 10_000 };
  const say = (line: string) => console.log(`  ${line}`);
  const date = new Date().toISOString();
  const file = (runtime: string, impl: string, adapter: string, r: { rows: ResultRow[]; skipped: SkippedRow[] }): RunFile => ({
    runtime,
    impl,
    adapter,
    date,
    host: hostname(),
    ...r,
  });
  for (const runtime of runtimes) {
    if (runtime === 'node') {
      const device = await createDevice({ adapter: values.adapter });
      console.log(`node: ${device.adapter.name} (${device.adapter.backend}${device.adapter.software ? ', software' : ''}), ${cases.length} cases`);
      const r = await runCases(device, cases, { runtime: 'node', version, callBudgetMs: budgetMs, onProgress: say, ...measure });
      await writeRun(out, `node-${device.adapter.name.replace(/[^\w.-]+/g, '_')}`, file('node', 'cleardit', device.adapter.name, r));
      device.destroy();
      if (peers.includes('ort')) {
        console.log('onnxruntime-node (CPU):');
        const o = await runOrtNode(cases, { callBudgetMs: budgetMs, onProgress: say, ...measure });
        await writeRun(out, 'node-onnxruntime', file('node', 'onnxruntime-node', o.adapter, o));
      }
    } else if (runtime === 'chromium') {
      const adapter = values['chromium-adapter'] ?? 'swiftshader';
      console.log(`chromium (${adapter}):`);
      const r = await runInChromium({
        adapter,
        ids: cases.map((c) => c.id),
        version,
        callBudgetMs: budgetMs,
        budgetMs: measure.budgetMs,
        ort: peers.includes('ort'),
        onProgress: say,
      });
      await writeRun(out, `chromium-${adapter}`, { ...file('chromium', 'cleardit', r.adapter, r), browser: r.browser });
    } else throw new Error(`unknown runtime '${runtime}' (node, chromium)`);
  }
  if (peers.includes('torch')) {
    console.log('PyTorch (CPU):');
    const t = await runTorch(cases, { callBudgetMs: budgetMs, onProgress: say });
    await writeRun(out, 'python-torch', file('python', 'torch', t.rows[0]?.adapter ?? 'cpu', t));
  }
}

try {
  if (command === 'report') {
    const from = (values.from ?? [join(root, 'benchmarks', 'results'), join(root, 'benchmarks', 'results-gpu')]).map((d) => resolve(d));
    await writeReport(from, resolve(values.doc ?? join(root, 'docs', 'benchmarks.md')));
  } else if (command === 'detail') await runDetail(positionals, values.adapter);
  else await run();
  process.exit(0);
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
}
