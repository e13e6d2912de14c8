// The benchmark suite end to end, at its smallest: `pnpm bench --quick` on one matmul and the digit
// layout's attention, in Node (Dawn) and in Chromium, with the ONNX Runtime peers; the JSON has every
// field, non-zero times, and FLOP counts equal to independent counts (2·n³; 4·ΣM·c with ΣM counted pair
// by pair by @cleardit/attention's brute force); the report renders charts from it. The peers' ONNX
// graphs compute what they claim (checked against plain loops), so their times are of the right work.
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { countVisibleBruteForce } from '@cleardit/attention';
import { ROW_FIELDS, type RunFile, type ResultRow } from '../src/suite/case.js';
import { suiteCases, DIGIT_CONFIG } from '../src/suite/cases.js';
import { matmulModel, attentionModel } from '../src/peers/onnx-model.js';
import { BEGIN, END } from '../src/report/report.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const bench = (args: string[]) => spawnSync('node', ['../tools/tsrun.mjs', 'src/main.ts', ...args], { cwd: pkg, encoding: 'utf8', timeout: 280_000 });

describe('pnpm bench --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'cleardit-bench-'));
  const files: Record<string, RunFile> = {};
  beforeAll(() => {
    const r = bench(['--quick', '--only', 'matmul/256', '--out', out, '--peers', 'ort']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const r2 = bench(['--quick', '--only', 'attention/digit', '--out', join(out, 'attention'), '--peers', 'none']);
    expect(r2.status, r2.stderr + r2.stdout).toBe(0);
    for (const dir of [out, join(out, 'attention')])
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')))
        files[`${dir === out ? '' : 'attention/'}${f}`] = JSON.parse(readFileSync(join(dir, f), 'utf8'));
  }, 600_000);

  const all = () => Object.values(files).flatMap((f) => f.rows);

  it('writes one file per runtime and peer, each row with every field and a non-zero time', () => {
    expect(Object.keys(files).sort()).toEqual(
      [
        'attention/chromium-swiftshader.json',
        'attention/node-llvmpipe.json',
        'chromium-swiftshader.json',
        'node-llvmpipe.json',
        'node-onnxruntime.json',
      ].sort(),
    );
    const rows = all();
    expect(new Set(rows.map((r) => `${r.impl}/${r.runtime}`))).toEqual(
      new Set(['cleardit/node', 'cleardit/chromium', 'onnxruntime-node/node', 'onnxruntime-web/chromium']),
    );
    for (const r of rows) {
      for (const f of ROW_FIELDS) expect(r, `${r.id} ${r.impl}: ${f}`).toHaveProperty(f);
      expect(r.timing.medianMs, `${r.id} ${r.impl}`).toBeGreaterThan(0);
      expect(r.timing.minMs).toBeLessThanOrEqual(r.timing.medianMs);
      expect(r.timing.maxMs).toBeGreaterThanOrEqual(r.timing.medianMs);
      expect(r.timing.reps).toBeGreaterThanOrEqual(3);
      expect(r.gflops).toBeCloseTo(r.flops / r.timing.medianMs / 1e6, 6);
      expect(typeof r.software).toBe('boolean');
      expect(r.adapter.length).toBeGreaterThan(0);
    }
    expect(files['node-llvmpipe.json'].rows[0].adapter).toBe('llvmpipe');
    expect(files['node-llvmpipe.json'].rows[0].software).toBe(true);
    expect(files['chromium-swiftshader.json'].browser).toMatch(/^Chromium \d+/);
  });

  it('counts FLOPs independently: 2·n³ for the matmul, 4·ΣM·c for attention with ΣM counted pair by pair', () => {
    for (const r of all().filter((x) => x.id === 'matmul/256')) expect(r.flops).toBe(2 * 256 ** 3);
    const attention = all().filter((x) => x.group === 'attention');
    expect(attention.length).toBe(4); // full and CLEAR r = 4, Node and Chromium
    const c = DIGIT_CONFIG.hiddenSize;
    for (const r of attention) {
      const pairs =
        r.shapes.radius === 'full'
          ? 256 * 256
          : countVisibleBruteForce({ height: 16, width: 16, textLength: 0, radius: Number(r.shapes.radius), downFactor: 1 });
      expect(r.flops, r.id).toBe(4 * pairs * c);
    }
  });

  it('renders the report: the generated section between its markers, and SVG charts', () => {
    const doc = join(out, 'docs', 'benchmarks.md');
    const r = bench(['report', '--from', out, '--from', join(out, 'attention'), '--doc', doc]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const text = readFileSync(doc, 'utf8');
    expect(text).toContain(BEGIN);
    expect(text).toContain(END);
    expect(text).toMatch(/\| matmul\/256 \|/);
    expect(text).toMatch(/against \*\*onnxruntime-web · chromium/);
    for (const chart of ['matmul', 'attention-digit']) {
      const svg = readFileSync(join(out, 'docs', 'benchmarks', `${chart}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('<path'); // the drawn lines
    }
  });

  it('lists an unknown case as a clear error', () => {
    const r = bench(['--only', 'no-such-case', '--runtimes', 'node', '--peers', 'none']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no case matches --only 'no-such-case'");
  });
});

describe('the suite', () => {
  it('has unique ids, and --quick keeps the smallest case of each kind', () => {
    const ids = suiteCases().map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(suiteCases({ quick: true }).map((c) => c.id)).toEqual([
      'matmul/256',
      'attention/digit/16x16/full',
      'attention/digit/16x16/clear-r4',
      'block/digit/16x16/full',
      'block/digit/16x16/clear-r4',
      'step/digit/16x16/full',
      'step/digit/16x16/clear-r4',
    ]);
  });

  it('counts a model step as full attention minus the pairs CLEAR leaves out, per layer', () => {
    const [full, clear] = ['full', 'clear-r4'].map((m) => suiteCases().find((c) => c.id === `step/digit/16x16/${m}`)!);
    const skippedPairs = 256 * 256 - countVisibleBruteForce({ height: 16, width: 16, textLength: 0, radius: 4, downFactor: 1 });
    expect(full.flops - clear.flops).toBe(2 /* CFG batch */ * DIGIT_CONFIG.depth * 4 * skippedPairs * DIGIT_CONFIG.hiddenSize);
  });
});

describe('the ONNX Runtime peer graphs', () => {
  const ort = createRequire(join(pkg, 'package.json'))('onnxruntime-node') as typeof import('onnxruntime-node');
  const values = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

  it('MatMul computes A·B', async () => {
    const s = await ort.InferenceSession.create(matmulModel());
    const a = values(6, (i) => i + 1); // [2, 3]
    const b = values(6, (i) => 7 - i); // [3, 2]
    const out = await s.run({ A: new ort.Tensor('float32', a, [2, 3]), B: new ort.Tensor('float32', b, [3, 2]) });
    const want = [0, 1, 2, 3].map((k) => [0, 1, 2].reduce((acc, j) => acc + a[Math.floor(k / 2) * 3 + j] * b[j * 2 + (k % 2)], 0));
    expect(Array.from(out.C.data as Float32Array)).toEqual(want);
  });

  it('MultiHeadAttention computes softmax(QKᵀ/√D)·V per head', async () => {
    const [H, D, L] = [2, 4, 5];
    const s = await ort.InferenceSession.create(attentionModel(H));
    const [q, k, v] = [1, 2, 3].map((seed) => values(L * H * D, (i) => Math.sin(seed * 7.1 + i * 0.37)));
    const out = (
      await s.run({
        Q: new ort.Tensor('float32', q, [1, L, H * D]),
        K: new ort.Tensor('float32', k, [1, L, H * D]),
        V: new ort.Tensor('float32', v, [1, L, H * D]),
      })
    ).O.data as Float32Array;
    const at = (x: Float32Array, t: number, h: number, d: number) => x[t * H * D + h * D + d];
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++) {
        const scores = Array.from(
          { length: L },
          (_, j) => Array.from({ length: D }, (_, d) => at(q, i, h, d) * at(k, j, h, d)).reduce((a, b) => a + b) / Math.sqrt(D),
        );
        const m = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b);
        for (let d = 0; d < D; d++)
          expect(at(out, i, h, d)).toBeCloseTo(
            e.reduce((acc, w, j) => acc + (w / z) * at(v, j, h, d), 0),
            5,
          );
      }
  });
});

describe('the PyTorch peer', () => {
  it('times the suite cases when torch is installed, and otherwise lists them as skipped with the reason', () => {
    const cases = suiteCases({ quick: true })
      .slice(0, 2)
      .map(({ id, group, series, shapes, size, flops, flopsRule }) => ({ id, group, series, shapes, size, flops, flopsRule }));
    const r = spawnSync('python3', [join(pkg, 'peers', 'bench_torch.py')], { input: JSON.stringify(cases), encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) {
      expect(r.stderr).toContain("No module named 'torch'");
      return;
    }
    const { rows } = JSON.parse(r.stdout) as { rows: ResultRow[] };
    expect(rows.map((x) => x.id)).toEqual(cases.map((c) => c.id));
    for (const row of rows) {
      for (const f of ROW_FIELDS) expect(row).toHaveProperty(f);
      expect(row.timing.medianMs).toBeGreaterThan(0);
      expect(row.flops).toBe(cases.find((c) => c.id === row.id)!.flops);
    }
  });
});

describe('the GPU entry (src/gpu.ts)', () => {
  it('runs the chosen cases on the adapter it finds and writes $OUT/node-<adapter>.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'cleardit-gpu-entry-'));
    const r = spawnSync('node', ['../tools/tsrun.mjs', 'src/gpu.ts', '--only', 'matmul/256'], {
      cwd: pkg,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, OUT: out },
    });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const file = JSON.parse(readFileSync(join(out, 'node-llvmpipe.json'), 'utf8')) as RunFile;
    expect(file.rows.map((x) => x.id)).toEqual(['matmul/256']);
    expect(file.rows[0].timing.medianMs).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/matmul\/256 \| [\d.]+ \| [\d.]+ \| wall/);
  });
});
