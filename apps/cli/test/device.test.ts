import { describe, it, expect } from 'vitest';
import { cleardit } from './run.js';

describe('cleardit device', () => {
  it('reports the adapters, the chosen one and why, as JSON', () => {
    const r = cleardit('device', '--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.adapters.map((a: { kind: string }) => a.kind)).toEqual(['hardware', 'llvmpipe', 'swiftshader']);
    expect(report.chosen.name).toBeTruthy();
    expect(report.chosen.reason).toBeTruthy();
    expect(report.chosen.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
  });

  it('honours --adapter and prints a readable table', () => {
    const r = cleardit('--adapter', 'swiftshader', 'device');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Chosen: swiftshader \(vulkan/);
    expect(r.stdout).toMatch(/why: asked for 'swiftshader'/);
    expect(r.stdout).toMatch(/maxStorageBufferBindingSize/);
  });

  it('exits 2 on an unknown flag or an adapter that does not exist', () => {
    expect(cleardit('device', '--bogus').status).toBe(2);
    const r = cleardit('--adapter', 'no-such-adapter', 'device');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no WebGPU adapter matches 'no-such-adapter'/);
  });

  it('--help teaches the adapter order', () => {
    const r = cleardit('device', '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/llvmpipe +Mesa's CPU renderer/);
  });
});
