// Optimizers against hand-computed float64 references, step by step; gradient clipping; schedules;
// and checkpoints: save → load → continue gives exactly the parameters of an uninterrupted run.
import { describe, it, beforeAll, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Device,
  type Tensor,
  type Optimizer,
  tensor,
  normalValues,
  AdamW,
  Prodigy,
  clipGradNorm,
  warmupCosine,
  linearWarmup,
  checkpointTensors,
  loadCheckpoint,
  encodeSafetensors,
  SafetensorsReader,
  BytesSource,
  linear,
  geluTanh,
  mseLoss,
  backward,
} from '../src/index.js';
import { saveCheckpointFile, loadCheckpointFile } from '../src/node/index.js';
import { getDevice } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

const SHAPES = [[3], [2, 5], [7]];
// more than one 4,096-element reduction chunk: the two-stage sums fold several partials
const LARGE = [[70, 100], [9001], [5]];
const STEPS = 10;

function hostValues(seed: number, n: number, scale = 1): number[] {
  return Array.from(normalValues(seed, n), (v) => Math.fround(v * scale));
}

/**
 * Parameters and a gradient per step (the same host values for GPU and reference): a fixed direction
 * plus noise, as on a real loss, so that Prodigy's d estimate grows.
 */
function problem(seed: number, steps = STEPS, shapes = SHAPES) {
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  const init = sizes.map((n, i) => hostValues(seed + i, n));
  const base = sizes.map((n, i) => hostValues(seed + 50 + i, n, 0.5));
  const grads = Array.from({ length: steps }, (_, t) =>
    sizes.map((n, i) => hostValues(seed + 100 * (t + 1) + i, n, 0.2).map((v, e) => Math.fround(v + base[i][e]))),
  );
  return { init, grads };
}

function upload(values: number[][]): [string, Tensor][] {
  return values.map((v, i) => [`p${i}`, tensor(d, v, [v.length]).keep().requireGrad()]);
}

function setGrads(params: [string, Tensor][], grads: number[][]): void {
  params.forEach(([, p], i) => {
    p.grad?.dispose();
    p.grad = tensor(d, grads[i], p.shape).keep();
  });
}

async function expectParams(params: [string, Tensor][], want: number[][], tol: { atol: number; rtol: number }, label: string): Promise<void> {
  for (const [i, [, p]] of params.entries()) {
    const got = await p.toFloat32();
    for (let e = 0; e < got.length; e++) {
      const err = Math.abs(got[e] - want[i][e]);
      if (!(err <= tol.atol + tol.rtol * Math.abs(want[i][e]))) throw new Error(`${label}: p${i}[${e}] is ${got[e]}, reference ${want[i][e]}`);
    }
  }
}

// f32 state vs the float64 reference over a few steps: a handful of ulps of the values (~1) and updates.
const STEP_TOL = { atol: 2e-6, rtol: 2e-6 };

describe('AdamW', () => {
  function reference(
    init: number[][],
    grads: number[][][],
    o: { lr: number; b1: number; b2: number; eps: number; wd: number; schedule?: (s: number) => number },
  ) {
    const p = init.map((a) => [...a]);
    const m = init.map((a) => a.map(() => 0));
    const v = init.map((a) => a.map(() => 0));
    const history: number[][][] = [];
    grads.forEach((gs, s) => {
      const t = s + 1;
      const lr = o.lr * (o.schedule ? o.schedule(s) : 1);
      p.forEach((pi, i) =>
        pi.forEach((_, e) => {
          const g = gs[i][e];
          pi[e] = Math.fround(pi[e] * (1 - lr * o.wd)); // f32 parameters, as on the GPU
          m[i][e] += (1 - o.b1) * (g - m[i][e]);
          v[i][e] = o.b2 * v[i][e] + (1 - o.b2) * g * g;
          pi[e] = Math.fround(pi[e] - ((lr / (1 - o.b1 ** t)) * m[i][e]) / (Math.sqrt(v[i][e]) / Math.sqrt(1 - o.b2 ** t) + o.eps));
        }),
      );
      history.push(p.map((a) => [...a]));
    });
    return history;
  }

  it('matches the hand-computed update step by step (weight decay, a schedule)', async () => {
    const { init, grads } = problem(10);
    const schedule = warmupCosine(2, STEPS);
    const opts = { lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.1, schedule };
    const want = reference(init, grads, opts);
    const params = upload(init);
    const opt = new AdamW(params, { lr: opts.lr, betas: [opts.b1, opts.b2], eps: opts.eps, weightDecay: opts.wd, schedule });
    for (let s = 0; s < STEPS; s++) {
      setGrads(params, grads[s]);
      await opt.step();
      await expectParams(params, want[s], STEP_TOL, `AdamW step ${s + 1}`);
    }
    expect(opt.stepCount).toBe(STEPS);
    opt.dispose();
    for (const [, p] of params) p.dispose();
  });

  it('skips frozen parameters and parameters without a gradient', async () => {
    const a = tensor(d, [1, 2], [2]).keep().requireGrad();
    const b = tensor(d, [3, 4], [2]).keep(); // frozen
    const c = tensor(d, [5, 6], [2]).keep().requireGrad(); // no gradient this step
    const opt = new AdamW({ a, b, c }, { lr: 0.1, weightDecay: 0 });
    expect(opt.params.map(([n]) => n)).toEqual(['a', 'c']);
    a.grad = tensor(d, [1, -1], [2]).keep();
    await opt.step();
    expect(Array.from(await a.toFloat32())).toEqual([Math.fround(1 - 0.1), Math.fround(2 + 0.1)].map((x) => expect.closeTo(x, 6)));
    expect(Array.from(await c.toFloat32())).toEqual([5, 6]);
    expect(Object.keys(opt.stateTensors())).toEqual(['a.exp_avg', 'a.exp_avg_sq']);
    opt.zeroGrad();
    expect(a.grad).toBeNull();
    opt.dispose();
    for (const t of [a, b, c]) t.dispose();
  });
});

describe('Prodigy', () => {
  interface PO {
    lr: number;
    b1: number;
    b2: number;
    b3?: number;
    eps: number;
    wd: number;
    bias: boolean;
    safeguard: boolean;
    d0: number;
    dCoef: number;
    growth: number;
  }
  // prodigyopt/prodigy.py's step, transcribed (one group, slice_p = 1, decoupled decay)
  function reference(init: number[][], grads: number[][][], o: PO) {
    const b3 = o.b3 ?? Math.sqrt(o.b2);
    const p = init.map((a) => [...a]);
    const p0 = init.map((a) => [...a]);
    const m = init.map((a) => a.map(() => 0));
    const v = init.map((a) => a.map(() => 0));
    const s = init.map((a) => a.map(() => 0));
    let d = o.d0;
    let dMax = o.d0;
    let dNum = 0;
    let k = 0;
    const history: { p: number[][]; d: number }[] = [];
    for (const gs of grads) {
      const bc = o.bias ? Math.sqrt(1 - o.b2 ** (k + 1)) / (1 - o.b1 ** (k + 1)) : 1;
      const dlr = d * o.lr * bc;
      let num = dNum * b3;
      let den = 0;
      p.forEach((pi, i) => {
        let dot = 0;
        pi.forEach((_, e) => (dot += gs[i][e] * (p0[i][e] - pi[e])));
        num += (d / o.d0) * dlr * dot;
        pi.forEach((_, e) => {
          const g = gs[i][e];
          m[i][e] = m[i][e] * o.b1 + d * (1 - o.b1) * g;
          v[i][e] = v[i][e] * o.b2 + d * d * (1 - o.b2) * g * g;
          s[i][e] = s[i][e] * b3 + (d / o.d0) * (o.safeguard ? d : dlr) * g;
          den += Math.abs(s[i][e]);
        });
      });
      const dHat = (o.dCoef * num) / den;
      if (d === o.d0) d = Math.max(d, dHat);
      dMax = Math.max(dMax, dHat);
      d = Math.min(dMax, d * o.growth);
      dNum = num;
      p.forEach((pi, i) =>
        pi.forEach((_, e) => {
          const denom = Math.sqrt(v[i][e]) + d * o.eps;
          // parameters are stored in f32 (as in PyTorch): round after each in-place update, or ⟨g, p0 − p⟩
          // in float64 would see differences that f32 storage cannot hold (they are ~d·lr, tiny early on)
          if (o.wd) pi[e] = Math.fround(pi[e] - o.wd * dlr * pi[e]);
          pi[e] = Math.fround(pi[e] - dlr * (m[i][e] / denom));
        }),
      );
      k++;
      history.push({ p: p.map((a) => [...a]), d });
    }
    return history;
  }

  // [label, options, steps]: with the safeguard and bias correction d starts to move after ~15 steps
  const configs: [string, PO, number][] = [
    ['defaults', { lr: 1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, bias: false, safeguard: false, d0: 1e-6, dCoef: 1, growth: Infinity }, 10],
    [
      'CLEAR recipe: bias correction + safeguard warmup, weight decay',
      { lr: 1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, bias: true, safeguard: true, d0: 1e-6, dCoef: 1, growth: Infinity },
      30,
    ],
    ['growth rate, d_coef, large d0', { lr: 1, b1: 0.9, b2: 0.99, eps: 1e-8, wd: 0, bias: false, safeguard: false, d0: 1e-3, dCoef: 0.5, growth: 1.5 }, 10],
  ];
  for (const [label, o, steps, shapes] of [...configs, ['large parameters (several reduction chunks)', configs[0][1], 10, LARGE] as const])
    it(`matches the hand-computed update step by step: ${label}`, async () => {
      const { init, grads } = problem(20, steps, shapes as number[][] | undefined);
      const want = reference(init, grads, o);
      const params = upload(init);
      const opt = new Prodigy(params, {
        lr: o.lr,
        betas: [o.b1, o.b2],
        eps: o.eps,
        weightDecay: o.wd,
        useBiasCorrection: o.bias,
        safeguardWarmup: o.safeguard,
        d0: o.d0,
        dCoef: o.dCoef,
        growthRate: o.growth,
      });
      for (let s = 0; s < steps; s++) {
        setGrads(params, grads[s]);
        await opt.step();
        // d comes from GPU f32 sums of ~20 products: relative ~1e-6
        expect(Math.abs(opt.d - want[s].d) / want[s].d, `d at step ${s + 1}`).toBeLessThan(1e-5);
        await expectParams(params, want[s].p, { atol: 1e-5, rtol: 1e-5 }, `Prodigy step ${s + 1}`);
      }
      expect(opt.k).toBe(steps);
      expect(opt.d).toBeGreaterThan(2 * o.d0); // the estimate moved
      opt.dispose();
      for (const [, p] of params) p.dispose();
    });

  it('a step with all-zero gradients changes no parameter and does not advance k', async () => {
    const params = upload(problem(30).init);
    const opt = new Prodigy(params);
    setGrads(
      params,
      SHAPES.map((s) => new Array(s.reduce((a, b) => a * b, 1)).fill(0)),
    );
    const before = await Promise.all(params.map(([, p]) => p.toFloat32()));
    await opt.step();
    expect(opt.k).toBe(0);
    expect(opt.d).toBe(1e-6);
    for (const [i, [, p]] of params.entries()) expect(await p.toFloat32()).toEqual(before[i]);
    opt.dispose();
    for (const [, p] of params) p.dispose();
  });
});

describe('clipGradNorm', () => {
  it('scales every gradient by min(1, max / (‖g‖ + 1e-6)) and returns the norm', async () => {
    const { grads, init } = problem(40, 1, LARGE);
    const params = upload(init);
    const g = grads[0];
    const norm = Math.sqrt(g.flat().reduce((s, x) => s + x * x, 0));
    for (const max of [norm / 3, norm * 2]) {
      setGrads(params, g);
      const total = clipGradNorm(params, max);
      // f32 sums of 16k squares, two stages: relative error ~1e-7
      expect(Math.abs((await total.toFloat32())[0] - norm) / norm).toBeLessThan(2e-6);
      total.dispose();
      const coef = Math.min(1, max / (norm + 1e-6));
      for (const [i, [, p]] of params.entries()) {
        const got = await p.grad!.toFloat32();
        got.forEach((x, e) => expect(x).toBeCloseTo(g[i][e] * coef, 6));
      }
    }
    for (const [, p] of params) p.dispose();
  });
});

describe('checkpoints', () => {
  /** A two-layer MLP on a fixed regression batch, stepped `steps` times from `from`. */
  function mlp(seed: number) {
    const params: [string, Tensor][] = [
      ['w1', tensor(d, hostValues(seed, 16 * 4, 0.5), [16, 4])],
      ['b1', tensor(d, new Array(16).fill(0), [16])],
      ['w2', tensor(d, hostValues(seed + 1, 2 * 16, 0.25), [2, 16])],
    ].map(([n, t]) => [n as string, (t as Tensor).keep().requireGrad()]);
    return params;
  }
  const x = () => tensor(d, hostValues(50, 9 * 4), [9, 4]);
  const y = () => tensor(d, hostValues(51, 9 * 2), [9, 2]);
  async function train(params: [string, Tensor][], opt: Optimizer, steps: number): Promise<number[]> {
    const p = Object.fromEntries(params);
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const loss = d.scope(() => {
        const l = mseLoss(linear(geluTanh(linear(x(), p.w1, p.b1)), p.w2), y());
        backward(l);
        return l;
      });
      await opt.step();
      opt.zeroGrad();
      losses.push((await loss.toFloat32())[0]);
      loss.dispose();
    }
    return losses;
  }
  const makers: [string, (ps: [string, Tensor][]) => Optimizer][] = [
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.02, schedule: linearWarmup(3) })],
    ['Prodigy', (ps) => new Prodigy(ps, { useBiasCorrection: true, safeguardWarmup: true, weightDecay: 0.01 })],
  ];
  for (const [name, make] of makers)
    it(`${name}: save → load → continue equals an uninterrupted run, bit for bit`, async () => {
      const straight = mlp(60);
      const o1 = make(straight);
      const lossA = await train(straight, o1, 8);
      const finalA = await Promise.all(straight.map(([, t]) => t.toFloat32()));

      const first = mlp(60);
      const o2 = make(first);
      const lossB1 = await train(first, o2, 4);
      const ckpt = await checkpointTensors(first, o2);
      const bytes = encodeSafetensors(ckpt.tensors, ckpt.metadata);
      // a fresh model (other initial values) and optimizer, restored from the bytes
      const resumed = mlp(61);
      const o3 = make(resumed);
      const reader = await SafetensorsReader.open(new BytesSource(bytes));
      await loadCheckpoint(reader, resumed, o3);
      await reader.close();
      const lossB2 = await train(resumed, o3, 4);
      expect([...lossB1, ...lossB2]).toEqual(lossA);
      for (const [i, [, t]] of resumed.entries()) expect(await t.toFloat32()).toEqual(finalA[i]);
      expect(lossA[7]).toBeLessThan(lossA[0]);
      for (const o of [o1, o2, o3]) o.dispose();
      for (const [, t] of [...straight, ...first, ...resumed]) t.dispose();
    });

  it('the node file helpers round-trip a checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-ckpt-'));
    try {
      const a = mlp(70);
      const oa = new Prodigy(a);
      await train(a, oa, 3);
      const path = join(dir, 'run.safetensors');
      await saveCheckpointFile(path, a, oa);
      const b = mlp(71);
      const ob = new Prodigy(b);
      await loadCheckpointFile(path, b, ob);
      expect(ob.stateScalars()).toEqual(oa.stateScalars());
      for (const [i, [, t]] of b.entries()) expect(await t.toFloat32()).toEqual(await a[i][1].toFloat32());
      const sa = oa.stateTensors();
      const sb = ob.stateTensors();
      expect(Object.keys(sb).sort()).toEqual(Object.keys(sa).sort());
      for (const k of Object.keys(sa)) expect(await sb[k].toFloat32()).toEqual(await sa[k].toFloat32());
      for (const o of [oa, ob]) o.dispose();
      for (const [, t] of [...a, ...b]) t.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
