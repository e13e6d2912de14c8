// Heun on the rectified flow against float64 arithmetic, and the sampler registry the CLI and the
// pipelines read. For v = x − c (dx/dt = x − c) each Heun step multiplies x − c by 1 + h + h²/2 (by
// 1 + h on the last, an Euler step to t = 0): the loop must match that product, converge at second
// order to the exact c + (x₁ − c)/e, and beat Euler at the same steps.
import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, tensor, sub } from '@cleardit/tensor';
import {
  heunFlow,
  eulerFlow,
  fluxSchedule,
  FLOW_SAMPLERS,
  DIFFUSION_SAMPLERS,
  SAMPLER_NAMES,
  isFlowSampler,
  isDiffusionSampler,
  SamplingAborted,
} from '../src/index.js';
import { getDevice, maxAbsDiff } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

const host = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

describe('Heun on the rectified flow', () => {
  it('v = x − c: matches the float64 product of its steps and converges at second order', async () => {
    const n = 30;
    const cv = host(n, (i) => 0.3 * i - 2);
    const xv = host(n, (i) => Math.sin(5 * i));
    const [c, x] = [tensor(d, cv, [2, 3, 5]), tensor(d, xv, [2, 3, 5])];
    const heunErr: number[] = [];
    let calls = 0;
    for (const steps of [10, 20, 40]) {
      const sched = fluxSchedule({ steps, shift: false });
      calls = 0;
      const out = await (
        await heunFlow({
          model: (xt) => {
            calls++;
            return sub(xt, c);
          },
          x,
          schedule: sched,
          cond: null,
        })
      ).toFloat32();
      expect(calls).toBe(FLOW_SAMPLERS.heun.calls(steps));
      let prod = 1;
      for (let k = 0; k < steps; k++) {
        const h = sched[k + 1] - sched[k];
        prod *= sched[k + 1] === 0 ? 1 + h : 1 + h + (h * h) / 2;
      }
      expect(
        maxAbsDiff(
          out,
          host(n, (i) => cv[i] + prod * (xv[i] - cv[i])),
        ),
      ).toBeLessThan(1e-5);
      heunErr.push(
        maxAbsDiff(
          out,
          host(n, (i) => cv[i] + (xv[i] - cv[i]) / Math.E),
        ),
      );
      const euler = await (await eulerFlow({ model: (xt) => sub(xt, c), x, schedule: sched, cond: null })).toFloat32();
      expect(heunErr.at(-1)!).toBeLessThan(
        maxAbsDiff(
          euler,
          host(n, (i) => cv[i] + (xv[i] - cv[i]) / Math.E),
        ) / 3,
      );
    }
    expect(heunErr[0] / heunErr[1]).toBeGreaterThan(3.2);
    expect(heunErr[1] / heunErr[2]).toBeGreaterThan(3.2);
    c.dispose();
    x.dispose();
  });

  it('stops with SamplingAborted, leaving nothing allocated', async () => {
    const x = tensor(d, host(8, Math.cos), [8]);
    const before = d.pool.stats().inUseBytes;
    const ac = new AbortController();
    const run = heunFlow({
      model: (xt) => sub(xt, x),
      x,
      schedule: fluxSchedule({ steps: 6, shift: false }),
      cond: null,
      signal: ac.signal,
      onStep: (s) => void (s.step === 2 && ac.abort()),
    });
    await expect(run).rejects.toBeInstanceOf(SamplingAborted);
    expect(d.pool.stats().inUseBytes).toBe(before);
    x.dispose();
  });
});

describe('the sampler registry', () => {
  it('names every sampler once, each in one family', () => {
    expect(SAMPLER_NAMES).toEqual(['euler', 'heun', 'ddpm', 'ddim']);
    for (const name of SAMPLER_NAMES) expect(isFlowSampler(name) !== isDiffusionSampler(name), name).toBe(true);
    expect(isFlowSampler('toString')).toBe(false);
    for (const s of Object.values(FLOW_SAMPLERS)) expect(s.calls(1)).toBeGreaterThanOrEqual(1);
    expect(Object.keys(DIFFUSION_SAMPLERS)).toEqual(['ddpm', 'ddim']);
  });
});
