// The tile plan: which keys each group of 64 queries visits, and (for the backward pass) which queries
// each group of 64 keys is visited by. A plan is a pure value of its geometry — (h, w, T, r, d), or a
// full-attention shape — built once, cached under that whole key by a PlanCache the caller owns, and
// passed explicitly. There is no module-level state, so switching resolution and back always finds
// the right plan (the reference repository's stale-mask bug, spec/clear.md §9, cannot happen here).
//
// Image tokens are grouped in 2-D tiles of 64 (8×8, or thinner for thin grids); a key tile is skipped
// when its nearest token is outside every query's disc, marked "full" when its farthest token is inside
// every query's disc (no per-element test), and "partial" otherwise. Text queries are dense rows; text
// keys are a dense band; pooled keys are a dense band that only image queries see.

import { type ClearGeometry, checkGeometry, counts, geometryKey } from './geometry.js';
import { imagePairs } from './flops.js';

export const GROUP = 64;

/** What a workgroup owns: 64 tokens, either a dense index range or one image tile. */
export const ITEM_DENSE = 0;
export const ITEM_TILE = 1;
/** What it visits: a dense index range, or an image tile without / with the disc test. */
export const SEG_DENSE = 0;
export const SEG_TILE_FULL = 1;
export const SEG_TILE_PARTIAL = 2;

/**
 * One traversal (forward/dq: query items over key segments; dkdv: key items over query segments).
 * items: 5 u32 per item [kind, a, b, segStart, segCount] (dense: tokens [a, b); tile: tile index a);
 * segments: 3 u32 per segment [kind, a, b] (dense: [a, b); tile: tile index a).
 */
export interface Traversal {
  items: Uint32Array;
  segments: Uint32Array;
  itemCount: number;
}

export interface AttentionPlan {
  readonly key: string;
  readonly kind: 'full' | 'clear';
  /** Query length and key length (keys include pooled keys). */
  readonly queryLength: number;
  readonly keyLength: number;
  readonly textLength: number;
  readonly height: number;
  readonly width: number;
  readonly radius: number;
  readonly downFactor: number;
  /** Tile shape (tileH × tileW = 64) and the tile grid. */
  readonly tileH: number;
  readonly tileW: number;
  readonly tilesY: number;
  readonly tilesX: number;
  /** ΣM: visible (query, key) pairs, counted exactly. */
  readonly visiblePairs: number;
  /** Key tokens the kernel reads per query tile on average, over the tokens it must (≥ 1: wasted work). */
  readonly forward: Traversal;
  readonly backward: Traversal;
  /** Image key tiles per image query tile: [empty, full, partial] totals. */
  readonly tileStats: { full: number; partial: number; skipped: number };
}

/** The thinnest-waste 64-token tile for an h×w grid: fewest tiles, squarest on ties. */
export function chooseTile(height: number, width: number): [number, number] {
  let best: [number, number] = [8, 8];
  let bestScore = Infinity;
  for (const th of [1, 2, 4, 8, 16, 32, 64]) {
    const tw = GROUP / th;
    const tiles = Math.ceil(height / th) * Math.ceil(width / tw);
    const score = tiles * 1000 + Math.abs(Math.log2(th / tw));
    if (score < bestScore) {
      bestScore = score;
      best = [th, tw];
    }
  }
  return best;
}

class TraversalBuilder {
  private items: number[] = [];
  private segs: number[] = [];
  private open = -1;
  item(kind: number, a: number, b: number): void {
    this.items.push(kind, a, b, this.segs.length / 3, 0);
    this.open = this.items.length - 5;
  }
  seg(kind: number, a: number, b: number): void {
    if (kind === SEG_DENSE && a >= b) return;
    this.segs.push(kind, a, b);
    this.items[this.open + 4]++;
  }
  done(): Traversal {
    return { items: Uint32Array.from(this.items), segments: Uint32Array.from(this.segs), itemCount: this.items.length / 5 };
  }
}

function denseItems(t: TraversalBuilder, from: number, to: number, segments: (b: TraversalBuilder) => void): void {
  for (let a = from; a < to; a += GROUP) {
    t.item(ITEM_DENSE, a, Math.min(to, a + GROUP));
    segments(t);
  }
}

/** Full attention over Lq queries and Lk keys (every pair visible). */
export function fullPlan(queryLength: number, keyLength = queryLength): AttentionPlan {
  const fwd = new TraversalBuilder();
  denseItems(fwd, 0, queryLength, (t) => t.seg(SEG_DENSE, 0, keyLength));
  const bwd = new TraversalBuilder();
  denseItems(bwd, 0, keyLength, (t) => t.seg(SEG_DENSE, 0, queryLength));
  return {
    key: `full:${queryLength}x${keyLength}`,
    kind: 'full',
    queryLength,
    keyLength,
    textLength: queryLength,
    height: 0,
    width: 0,
    radius: Infinity,
    downFactor: 1,
    tileH: 1,
    tileW: GROUP,
    tilesY: 0,
    tilesX: 0,
    visiblePairs: queryLength * keyLength,
    forward: fwd.done(),
    backward: bwd.done(),
    tileStats: { full: 0, partial: 0, skipped: 0 },
  };
}

/** The CLEAR plan for one geometry. */
export function clearPlan(g: ClearGeometry): AttentionPlan {
  checkGeometry(g);
  const { T, N, P, L, Lk, d } = counts(g);
  const [tileH, tileW] = chooseTile(g.height, g.width);
  const tilesY = Math.ceil(g.height / tileH);
  const tilesX = Math.ceil(g.width / tileW);
  const r2 = g.radius * g.radius;
  // key tiles per query tile: by symmetry of the disc, also query tiles per key tile
  const neighbours: { tile: number; full: boolean }[][] = [];
  const stats = { full: 0, partial: 0, skipped: 0 };
  const span = (t: number, size: number, limit: number): [number, number] => [t * size, Math.min(limit, (t + 1) * size) - 1];
  for (let qy = 0; qy < tilesY; qy++)
    for (let qx = 0; qx < tilesX; qx++) {
      const list: { tile: number; full: boolean }[] = [];
      const [qy0, qy1] = span(qy, tileH, g.height);
      const [qx0, qx1] = span(qx, tileW, g.width);
      for (let ky = 0; ky < tilesY; ky++)
        for (let kx = 0; kx < tilesX; kx++) {
          const [ky0, ky1] = span(ky, tileH, g.height);
          const [kx0, kx1] = span(kx, tileW, g.width);
          const dyMin = Math.max(0, ky0 - qy1, qy0 - ky1);
          const dxMin = Math.max(0, kx0 - qx1, qx0 - kx1);
          if (dyMin * dyMin + dxMin * dxMin >= r2) {
            stats.skipped++;
            continue;
          }
          const dyMax = Math.max(ky1 - qy0, qy1 - ky0);
          const dxMax = Math.max(kx1 - qx0, qx1 - kx0);
          const full = dyMax * dyMax + dxMax * dxMax < r2;
          stats[full ? 'full' : 'partial']++;
          list.push({ tile: ky * tilesX + kx, full });
        }
      neighbours.push(list);
    }
  const tileSegments = (t: TraversalBuilder, tile: number) => {
    for (const n of neighbours[tile]) t.seg(n.full ? SEG_TILE_FULL : SEG_TILE_PARTIAL, n.tile, 0);
  };

  // forward and dq: query items, key segments
  const fwd = new TraversalBuilder();
  denseItems(fwd, 0, T, (t) => t.seg(SEG_DENSE, 0, L)); // text rows: text + image keys
  for (let tile = 0; tile < tilesY * tilesX; tile++) {
    fwd.item(ITEM_TILE, tile, 0);
    fwd.seg(SEG_DENSE, 0, T);
    tileSegments(fwd, tile);
    fwd.seg(SEG_DENSE, L, Lk);
  }
  // dk, dv: key items, query segments
  const bwd = new TraversalBuilder();
  denseItems(bwd, 0, T, (t) => t.seg(SEG_DENSE, 0, L)); // text keys: every text and image query
  for (let tile = 0; tile < tilesY * tilesX; tile++) {
    bwd.item(ITEM_TILE, tile, 0);
    bwd.seg(SEG_DENSE, 0, T);
    tileSegments(bwd, tile);
  }
  denseItems(bwd, L, Lk, (t) => t.seg(SEG_DENSE, T, L)); // pooled keys: image queries only

  return {
    key: `clear:${geometryKey(g)}`,
    kind: 'clear',
    queryLength: L,
    keyLength: Lk,
    textLength: T,
    height: g.height,
    width: g.width,
    radius: g.radius,
    downFactor: d,
    tileH,
    tileW,
    tilesY,
    tilesX,
    visiblePairs: T * L + N * T + imagePairs(g.height, g.width, g.radius) + N * P,
    forward: fwd.done(),
    backward: bwd.done(),
    tileStats: stats,
  };
}

/** Plans cached under their full key. Owned by whoever needs them (a model, a benchmark); never global. */
export class PlanCache {
  private plans = new Map<string, AttentionPlan>();
  clear(g: ClearGeometry): AttentionPlan {
    const key = `clear:${geometryKey(g)}`;
    let p = this.plans.get(key);
    if (!p) this.plans.set(key, (p = clearPlan(g)));
    return p;
  }
  full(queryLength: number, keyLength = queryLength): AttentionPlan {
    const key = `full:${queryLength}x${keyLength}`;
    let p = this.plans.get(key);
    if (!p) this.plans.set(key, (p = fullPlan(queryLength, keyLength)));
    return p;
  }
  get size(): number {
    return this.plans.size;
  }
}

/** Key tokens one traversal visits (before the per-element disc test), for work accounting. */
export function visitedPairs(plan: AttentionPlan): number {
  const { items, segments } = plan.forward;
  const tileTokens = (tile: number) => {
    const ty = Math.floor(tile / plan.tilesX);
    const tx = tile % plan.tilesX;
    return (Math.min(plan.height, (ty + 1) * plan.tileH) - ty * plan.tileH) * (Math.min(plan.width, (tx + 1) * plan.tileW) - tx * plan.tileW);
  };
  let n = 0;
  for (let i = 0; i < plan.forward.itemCount; i++) {
    const [kind, a, b, s0, sc] = items.subarray(i * 5, i * 5 + 5);
    const queries = kind === ITEM_DENSE ? b - a : tileTokens(a);
    for (let s = s0; s < s0 + sc; s++) {
      const [sk, sa, sb] = segments.subarray(s * 3, s * 3 + 3);
      n += queries * (sk === SEG_DENSE ? sb - sa : tileTokens(sa));
    }
  }
  return n;
}
