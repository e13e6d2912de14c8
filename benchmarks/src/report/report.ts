// `pnpm bench report`: reads the run files (one per runtime or peer) and writes docs/benchmarks.md's
// generated section — where each figure comes from, charts (SVG beside the document), tables of medians,
// CLEAR's speed-up beside its FLOP ratio, and each peer's ratio to cleardit in words — between the
// markers below; the hand-written rest of the document is kept as it is.
import { readdirSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { writeFileAtomic } from '@cleardit/tensor/node';
import type { ResultRow, RunFile } from '../suite/case.js';
import { matmulChart, renderSvg, speedupVsFlopRatio, timeVsTokens, who, type SpeedupPoint } from './charts.js';

export const BEGIN = '<!-- pnpm bench report: generated from here -->';
export const END = '<!-- pnpm bench report: to here -->';

interface Loaded {
  name: string;
  file: RunFile;
}

function load(dirs: string[]): Loaded[] {
  const out: Loaded[] = [];
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)
      .filter((n) => n.endsWith('.json'))
      .sort())
      out.push({ name: join(basename(d), f), file: JSON.parse(readFileSync(join(d, f), 'utf8')) as RunFile });
  }
  return out;
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const times = (x: number) => `${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;
const cell = (r: ResultRow | undefined) => (r ? `${ms(r.timing.medianMs)} (${ms(r.timing.minMs)}–${ms(r.timing.maxMs)})` : '—');

/** A table: one row per case id (in suite order), one column per implementation · runtime · adapter. */
function wideTable(rows: ResultRow[], extra: { head: string; value: (id: string) => string }[] = []): string {
  const ids = [...new Set(rows.map((r) => r.id))];
  const whos = [...new Set(rows.map(who))];
  const at = new Map(rows.map((r) => [`${r.id}|${who(r)}`, r]));
  const shapes = (id: string) => rows.find((r) => r.id === id)!.shapes;
  const head = ['case', ...extra.map((e) => e.head), ...whos.map((w) => `${w} ms`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const id of ids)
    lines.push(
      `| ${id}${shapes(id).tokens ? ` (${shapes(id).tokens} tokens)` : ''} | ${[...extra.map((e) => e.value(id)), ...whos.map((w) => cell(at.get(`${id}|${w}`)))].join(' | ')} |`,
    );
  return lines.join('\n');
}

function speedupTable(points: SpeedupPoint[]): string {
  const lines = [
    '| implementation · runtime · adapter | grid | CLEAR | FLOP ratio | measured speed-up | speed-up / FLOP ratio |',
    '|---|---|---|---:|---:|---:|',
  ];
  for (const p of points)
    lines.push(
      `| ${p.who} | ${p.grid} | ${p.radius} | ${p.flopRatio.toFixed(2)}× | ${p.speedup.toFixed(2)}× | ${((100 * p.speedup) / p.flopRatio).toFixed(0)}% |`,
    );
  return lines.join('\n');
}

function speedups(rows: ResultRow[]): SpeedupPoint[] {
  const out: SpeedupPoint[] = [];
  for (const r of rows.filter((x) => x.group === 'attention' && x.shapes.radius !== 'full')) {
    const full = rows.find((x) => x.id === r.id.replace(/clear-r\d+$/, 'full') && who(x) === who(r));
    if (full)
      out.push({
        who: who(r),
        radius: `${r.shapes.layout} r=${r.shapes.radius}`,
        grid: `${r.shapes.layout} ${r.shapes.grid}×${r.shapes.grid}`,
        flopRatio: full.flops / r.flops,
        speedup: full.timing.medianMs / r.timing.medianMs,
      });
  }
  return out;
}

const rel = (ours: number, theirs: number) => (ours > theirs ? `${times(ours / theirs)} slower` : `${times(theirs / ours)} faster`);

/**
 * Each peer against cleardit in the same runtime (onnxruntime-web against cleardit in Chromium), or in
 * Node when cleardit did not run there (PyTorch, onnxruntime-node); cleardit in Chromium against
 * cleardit in Node. Stated per group at the largest shared case, with the range over all of them.
 */
function inWords(rows: ResultRow[]): string[] {
  const lines: string[] = [];
  const ourNode = rows.filter((r) => r.impl === 'cleardit' && r.runtime === 'node');
  for (const p of [...new Set(rows.filter((r) => !(r.impl === 'cleardit' && r.runtime === 'node')).map(who))]) {
    const theirs = rows.filter((r) => who(r) === p);
    const sameRuntime = theirs[0].impl !== 'cleardit' ? rows.filter((r) => r.impl === 'cleardit' && r.runtime === theirs[0].runtime) : [];
    const ours = sameRuntime.length ? sameRuntime : ourNode;
    if (!ours.length) continue;
    const parts: string[] = [];
    for (const group of ['matmul', 'attention', 'block', 'step', 'train'] as const) {
      const both = theirs.filter((t) => t.group === group).flatMap((t) => ours.filter((o) => o.id === t.id).map((o) => ({ o, t })));
      if (!both.length) continue;
      const ratio = ({ o, t }: (typeof both)[number]) => o.timing.medianMs / t.timing.medianMs;
      const big = both.reduce((a, b) => (b.o.flops > a.o.flops ? b : a));
      const lo = both.reduce((a, b) => (ratio(b) < ratio(a) ? b : a));
      const hi = both.reduce((a, b) => (ratio(b) > ratio(a) ? b : a));
      const range =
        both.length > 1
          ? `; over its ${both.length} cases from ${rel(lo.o.timing.medianMs, lo.t.timing.medianMs)} (${lo.o.id}) to ${rel(hi.o.timing.medianMs, hi.t.timing.medianMs)} (${hi.o.id})`
          : '';
      parts.push(
        `${group}: ${rel(big.o.timing.medianMs, big.t.timing.medianMs)} at ${big.o.id} (${ms(big.o.timing.medianMs)} vs ${ms(big.t.timing.medianMs)} ms)${range}`,
      );
    }
    const us = who(ours[0]);
    if (parts.length) lines.push(`- **${us}** against **${p}**: ${parts.join('; ')}.`);
  }
  return lines;
}

export async function writeReport(dirs: string[], doc: string): Promise<void> {
  const loaded = load(dirs);
  if (!loaded.length) throw new Error(`no run files in ${dirs.join(', ')}: run pnpm bench first`);
  const rows = loaded.flatMap((l) => l.file.rows);
  const chartDir = join(dirname(doc), 'benchmarks');
  mkdirSync(chartDir, { recursive: true });
  const charts: Record<string, string> = {};
  const chart = async (name: string, spec: Record<string, unknown>) => {
    const path = join(chartDir, `${name}.svg`);
    await writeFileAtomic(path, new TextEncoder().encode(await renderSvg(spec)), { overwrite: true });
    charts[name] = relative(dirname(doc), path);
    return `![${name}](${charts[name]})`;
  };
  const group = (g: string, layout?: string) =>
    rows.filter((r) => r.group === g && (!layout || r.shapes.layout === layout || String(r.shapes.model).startsWith(layout)));
  const flopRatio = (id: string) => {
    const r = rows.find((x) => x.id === id)!;
    const full = rows.find((x) => x.id === id.replace(/clear-r\d+$/, 'full'));
    return r.shapes.radius === 'full' || !full ? '1.00×' : `${(full.flops / r.flops).toFixed(2)}×`;
  };
  const out: string[] = [BEGIN, ''];
  out.push(
    `Generated by \`pnpm bench report\` from ${loaded.length} run files (${dirs.map((d) => relative(dirname(doc), d)).join(', ')}); every figure is a median of wall time (or of GPU time where the timing column says so) with the min–max of its repetitions in brackets. Compare figures within one run on one machine.`,
    '',
  );
  out.push(
    '| run file | runtime | implementation | version | adapter | software | timing | date | rows | skipped |',
    '|---|---|---|---|---|---|---|---|---:|---:|',
  );
  for (const { name, file } of loaded) {
    const r = file.rows[0];
    out.push(
      `| ${name} | ${file.runtime}${file.browser ? ` (${file.browser})` : ''} | ${file.impl} | ${r?.version ?? '—'} | ${file.adapter} | ${r ? (r.software ? 'yes' : 'no') : '—'} | ${r?.timing.method ?? '—'} | ${file.date.slice(0, 16).replace('T', ' ')} | ${file.rows.length} | ${file.skipped.length} |`,
    );
  }
  const words = inWords(rows);
  if (words.length) out.push('', '### The peers, in words', '', ...words);
  out.push('', '### Matmul (f32)', '', await chart('matmul', matmulChart(group('matmul'))), '', wideTable(group('matmul')));
  const layouts = [
    ['flux', 'FLUX', 'FLUX layout (24 heads × 128, T = 512)'],
    ['digit', 'digit', 'digit model layout (4 heads × 16, no text)'],
  ] as const;
  for (const [layout, name, title] of layouts) {
    const rowsOf = group('attention', layout);
    out.push('', `### Attention per call, ${title}`, '', await chart(`attention-${layout}`, timeVsTokens(rowsOf, `attention per call, ${name} layout`)));
    out.push('', wideTable(rowsOf, [{ head: 'FLOP ratio', value: flopRatio }]));
  }
  const all = speedups(group('attention'));
  out.push('', "### CLEAR's speed-up beside its FLOP ratio (attention per call, both layouts)", '');
  out.push(await chart('speedup', speedupVsFlopRatio(all, 'CLEAR speed-up vs FLOP ratio')), '', speedupTable(all));
  for (const g of ['block', 'step'] as const) {
    const title = g === 'block' ? 'One transformer block' : 'One sampling step';
    out.push(
      '',
      `### ${title}, full vs CLEAR`,
      '',
      await chart(g, timeVsTokens(group(g), `${title.toLowerCase()}: digit DiT (batch 2) and FLUX-shaped stack`)),
      '',
      wideTable(group(g), [{ head: 'FLOP ratio', value: flopRatio }]),
    );
  }
  out.push('', '### One training step (digit DiT, batch 32, AdamW)', '', wideTable(group('train')));
  const skipped = loaded.flatMap((l) => l.file.skipped);
  if (skipped.length) {
    out.push('', '<details><summary>Skipped points</summary>', '', '| case | implementation | runtime | why |', '|---|---|---|---|');
    for (const s of skipped) out.push(`| ${s.id} | ${s.impl} | ${s.runtime} | ${s.reason} |`);
    out.push('', '</details>');
  }
  out.push('', END);
  const before = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n\n';
  const [head, rest] = before.includes(BEGIN)
    ? [before.slice(0, before.indexOf(BEGIN)), before.slice(before.indexOf(END) + END.length)]
    : [before.replace(/\n*$/, '\n\n'), '\n'];
  await writeFileAtomic(doc, new TextEncoder().encode(head + out.join('\n') + rest), { overwrite: true });
  console.log(`wrote ${doc} and ${Object.keys(charts).length} charts in ${chartDir}`);
}
