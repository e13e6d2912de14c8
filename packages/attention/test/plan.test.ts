import { describe, it, expect } from 'vitest';
import {
  clearPlan,
  fullPlan,
  PlanCache,
  countVisibleBruteForce,
  clearVisiblePairs,
  imagePairs,
  visitedPairs,
  isVisible,
  counts,
  fluxFlops,
  chooseTile,
} from '../src/index.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('the CLEAR mask and plan', () => {
  it('follows the rule: strict disc, no wraparound, text rows full, pooled keys for image rows only', () => {
    const g = { height: 5, width: 6, textLength: 2, radius: 2, downFactor: 1 };
    const T = 2;
    const at = (y: number, x: number) => T + y * 6 + x;
    expect(isVisible(g, 0, at(4, 5))).toBe(true); // text query sees every image key
    expect(isVisible(g, at(2, 2), 1)).toBe(true); // image query sees text keys
    expect(isVisible(g, at(2, 2), at(2, 3))).toBe(true);
    expect(isVisible(g, at(2, 2), at(3, 3))).toBe(true); // distance² 2 < 4
    expect(isVisible(g, at(2, 2), at(2, 4))).toBe(false); // distance² 4, not < 4
    expect(isVisible(g, at(0, 5), at(1, 0))).toBe(false); // no wraparound across rows
    const gd = { height: 4, width: 4, textLength: 3, radius: 1, downFactor: 2 };
    const { L } = counts(gd);
    expect(isVisible(gd, 0, L)).toBe(false); // text query never sees a pooled key
    expect(isVisible(gd, 3, L + 3)).toBe(true); // image query sees all pooled keys
  });

  it('counts ΣM exactly (formula = plan = brute force) over random geometries', () => {
    const r = rng(1);
    for (let n = 0; n < 60; n++) {
      const d = [1, 1, 2, 3][Math.floor(r() * 4)];
      const g = {
        height: d * (1 + Math.floor(r() * 6)),
        width: d * (1 + Math.floor(r() * 7)),
        textLength: Math.floor(r() * 6),
        radius: [1, 1.5, 2, 3, 4.2, 20][Math.floor(r() * 6)],
        downFactor: d,
      };
      const brute = countVisibleBruteForce(g);
      expect(clearVisiblePairs(g), JSON.stringify(g)).toBe(brute);
      expect(clearPlan(g).visiblePairs, JSON.stringify(g)).toBe(brute);
    }
    expect(countVisibleBruteForce({ height: 6, width: 7, textLength: 5, radius: 3 })).toBe(1141); // golden clear-attn-a
    expect(countVisibleBruteForce({ height: 8, width: 6, textLength: 3, radius: 2, downFactor: 2 })).toBe(1225); // clear-attn-a-down
  });

  it('reproduces the spec\'s keys per interior query (193 / 793 / 3,205) and rejects "≤"', () => {
    const interior = (r: number) => {
      let n = 0;
      for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dy * dy + dx * dx < r * r) n++;
      return n;
    };
    expect([8, 16, 32].map(interior)).toEqual([193, 793, 3205]);
    // on a grid big enough, imagePairs ≈ N · interior for the centre
    expect(imagePairs(1, 1, 8)).toBe(1);
  });

  it('visits every visible pair: each visible image pair lies in a listed tile, full tiles need no test', () => {
    const r = rng(2);
    for (let n = 0; n < 30; n++) {
      const g = { height: 1 + Math.floor(r() * 30), width: 1 + Math.floor(r() * 30), textLength: Math.floor(r() * 5), radius: 1 + r() * 12 };
      const p = clearPlan(g);
      const { T } = counts(g);
      const tileOf = (y: number, x: number) => Math.floor(y / p.tileH) * p.tilesX + Math.floor(x / p.tileW);
      const { items, segments } = p.forward;
      for (let i = 0; i < p.forward.itemCount; i++) {
        if (items[i * 5] !== 1) continue;
        const qTile = items[i * 5 + 1];
        const listed = new Map<number, number>();
        for (let s = items[i * 5 + 3]; s < items[i * 5 + 3] + items[i * 5 + 4]; s++)
          if (segments[s * 3] !== 0) listed.set(segments[s * 3 + 1], segments[s * 3]);
        for (let y = 0; y < g.height; y++)
          for (let x = 0; x < g.width; x++) {
            if (tileOf(y, x) !== qTile) continue;
            for (let ky = 0; ky < g.height; ky++)
              for (let kx = 0; kx < g.width; kx++) {
                const vis = isVisible(g, T + y * g.width + x, T + ky * g.width + kx);
                const kind = listed.get(tileOf(ky, kx));
                if (vis) expect(kind, `${JSON.stringify(g)} (${y},${x})→(${ky},${kx})`).toBeDefined();
                if (kind === 1) expect(vis).toBe(true);
              }
          }
      }
    }
  });

  it('does work linear in the image tokens at fixed r and T', () => {
    const per = [32, 64, 128].map((s) => visitedPairs(clearPlan({ height: s, width: s, textLength: 64, radius: 8 })) / (s * s));
    expect(per[2] / per[1]).toBeLessThan(1.1);
    expect(per[1] / per[0]).toBeLessThan(1.25);
  });

  it('is right after switching resolutions back and forth (cache keyed on the whole geometry)', () => {
    const cache = new PlanCache();
    const a = { height: 8, width: 8, textLength: 4, radius: 3 };
    const b = { height: 16, width: 12, textLength: 4, radius: 3 };
    const pa = cache.clear(a);
    const pb = cache.clear(b);
    expect(cache.clear(a)).toBe(pa);
    expect(cache.clear(a).visiblePairs).toBe(countVisibleBruteForce(a));
    expect(cache.clear(b)).toBe(pb);
    expect(cache.clear(b).visiblePairs).toBe(countVisibleBruteForce(b));
    expect(cache.clear({ ...a, textLength: 5 })).not.toBe(pa); // text length is part of the key
    expect(cache.clear({ ...a, radius: 2 }).visiblePairs).toBe(countVisibleBruteForce({ ...a, radius: 2 }));
    expect(cache.size).toBe(4);
  });

  it('full plans cover every pair; tiles suit thin grids', () => {
    expect(fullPlan(70, 90).visiblePairs).toBe(6300);
    expect(chooseTile(1, 500)).toEqual([1, 64]);
    expect(chooseTile(500, 1)).toEqual([64, 1]);
    expect(chooseTile(64, 64)).toEqual([8, 8]);
  });

  it('FLOPs: full vs CLEAR at FLUX geometry', () => {
    const row = fluxFlops(1024, 16);
    expect(row.fullFlops).toBe(4 * (512 + 4096) ** 2 * 3072);
    expect(row.clearFlops).toBeLessThan(row.fullFlops);
    // the share falls as resolution grows (linear vs quadratic)
    expect(fluxFlops(8192, 16).clearFlops / fluxFlops(8192, 16).fullFlops).toBeLessThan(0.02);
  });
});
