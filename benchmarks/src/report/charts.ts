// The report's charts as Vega-Lite specs, rendered to SVG in Node by vega (no browser, no canvas):
// time vs tokens on log axes with one line per runtime/peer and attention kind; speed-up vs FLOP
// ratio against the y = x line CLEAR would reach if time followed FLOPs; GFLOP/s of the matmuls.
import type { ResultRow } from '../suite/case.js';

type Spec = Record<string, unknown>;
const LEGEND = { labelLimit: 420, orient: 'bottom', direction: 'vertical' };

/** "cleardit · node · llvmpipe": who ran it, where, on what. */
export const who = (r: ResultRow) => `${r.impl} · ${r.runtime} · ${r.adapter}`;

const point = (r: ResultRow) => ({
  who: who(r),
  series: r.series,
  tokens: r.size,
  ms: r.timing.medianMs,
  min: r.timing.minMs,
  max: r.timing.maxMs,
  gflops: r.gflops,
});

export function timeVsTokens(rows: ResultRow[], title: string): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 300,
    data: { values: rows.map(point) },
    encoding: {
      x: { field: 'tokens', type: 'quantitative', scale: { type: 'log' }, title: 'tokens (text + image)' },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms per call (median)' },
      color: { field: 'who', type: 'nominal', title: 'implementation · runtime · adapter', legend: LEGEND },
      strokeDash: { field: 'series', type: 'nominal', title: 'attention', legend: LEGEND },
      shape: { field: 'series', type: 'nominal', title: 'attention', legend: LEGEND },
    },
    layer: [
      { mark: { type: 'line', point: true } },
      { mark: { type: 'rule', opacity: 0.5 }, encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
    ],
  };
}

export interface SpeedupPoint {
  who: string;
  radius: string;
  grid: string;
  flopRatio: number;
  speedup: number;
}

export function speedupVsFlopRatio(points: SpeedupPoint[], title: string): Spec {
  const top = Math.max(1, ...points.map((p) => Math.max(p.flopRatio, p.speedup))) * 1.1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: 320,
    layer: [
      {
        data: {
          values: [
            { x: 1, y: 1 },
            { x: top, y: top },
          ],
        },
        mark: { type: 'line', color: '#999', strokeDash: [4, 4] },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: points },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'flopRatio', type: 'quantitative', title: 'FLOP ratio (full / CLEAR)', scale: { domain: [1, top] } },
          y: { field: 'speedup', type: 'quantitative', title: 'measured speed-up (full ms / CLEAR ms)', scale: { domain: [0, top] } },
          color: { field: 'who', type: 'nominal', title: 'implementation · runtime · adapter', legend: LEGEND },
          shape: { field: 'radius', type: 'nominal', title: 'CLEAR radius', legend: LEGEND },
          tooltip: [{ field: 'grid' }],
        },
      },
    ],
  };
}

export function matmulChart(rows: ResultRow[]): Spec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'f32 matmul, square n',
    width: 420,
    height: 260,
    data: { values: rows.map(point) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'tokens', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'n' },
      y: { field: 'gflops', type: 'quantitative', scale: { type: 'log' }, title: 'GFLOP/s' },
      color: { field: 'who', type: 'nominal', title: 'implementation · runtime · adapter', legend: LEGEND },
    },
  };
}

/** Renders a Vega-Lite spec to SVG text. */
export async function renderSvg(spec: Spec): Promise<string> {
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const compiled = vl.compile(spec as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  return view.toSVG();
}
