// The GPU timer (device/gpu-timer.ts) on whichever adapter the run has: with timestamp queries it sums
// the passes' GPU time (positive, and within the wall time from record to done); without them it says
// so by name. The browser test runs the positive path on Chromium's SwiftShader, which has them.
import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, randn, matmul } from '../src/index.js';
import { getDevice } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('startGpuTimer / stopGpuTimer', () => {
  it('measures GPU time where the adapter has timestamp queries, and otherwise says it has none', async () => {
    if (!d.canTimeGpu) {
      expect(() => d.startGpuTimer()).toThrow(`startGpuTimer: the adapter '${d.adapter.name}' has no 'timestamp-query' feature`);
      return;
    }
    const a = randn(d, [256, 256], 1);
    await d.sync();
    const t0 = performance.now();
    d.startGpuTimer();
    expect(() => d.startGpuTimer()).toThrow('a timer is already running');
    for (let i = 0; i < 3; i++) d.scope(() => void matmul(a, a));
    const gpu = await d.stopGpuTimer();
    const wall = performance.now() - t0;
    expect(gpu).not.toBeNull();
    expect(gpu!).toBeGreaterThan(0);
    expect(gpu!).toBeLessThanOrEqual(wall);
    await expect(d.stopGpuTimer()).rejects.toThrow('no timer is running');
    a.dispose();
  });
});
