// Gradient checks shared by the autograd tests. For an op with float inputs x₁…xₙ, a random output
// gradient g, and the loss L = Σ g ⊙ f(x):
// 1. the GPU gradient (autograd through the public ops) against the reference backward, at `tol`;
// 2. the reference backward against central finite differences of the float64 reference forward,
//    (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h with h = 1e-6, on every element (or an even sample of `fdMax`):
//    truncation ~h²·L‴ and rounding ~1e-16·|L|/h are both far below the 1e-6·(1 + |∂L|) allowed.
import { expect } from 'vitest';
import { type Device, type Tensor, ref, backward, tapeOf } from '../src/index.js';
import { expectClose, randHost, up, type Tol } from './helpers.js';

type H = ref.HostTensor;

export interface GradCase {
  label: string;
  /** Float inputs (all differentiated unless `frozen` says otherwise). */
  inputs: H[];
  /** Indices of inputs not to differentiate (they still go in as tensors, without requiresGrad). */
  frozen?: number[];
  gpu: (xs: Tensor[]) => Tensor;
  fwd: (xs: H[]) => H;
  bwd: (xs: H[], g: H) => (H | null | undefined)[];
  tol: Tol;
  /** Finite differences on at most this many elements per input (default: all up to 400). */
  fdMax?: number;
  seed?: number;
  /** Skip the finite-difference half (when a reference check elsewhere covers it). */
  noFd?: boolean;
}

export const FD_H = 1e-6;
export const FD_TOL = 1e-6;

function lossOf(out: H, g: H): number {
  let s = 0;
  for (let i = 0; i < out.data.length; i++) s += out.data[i] * g.data[i];
  return s;
}

export function finiteDifferences(c: GradCase, g: H, want: (H | null | undefined)[]): void {
  const frozen = new Set(c.frozen ?? []);
  const fdMax = c.fdMax ?? 400;
  c.inputs.forEach((x, i) => {
    if (frozen.has(i)) return;
    const w = want[i];
    expect(w, `${c.label}: reference gradient of input ${i}`).toBeTruthy();
    const n = x.data.length;
    const step = n <= fdMax ? 1 : n / fdMax;
    let worst = 0;
    let worstAt = -1;
    for (let t = 0; t < Math.min(n, fdMax); t++) {
      const e = Math.floor(t * step);
      const xs = c.inputs.map((y) => ({ shape: y.shape, data: y.data.slice() }));
      xs[i].data[e] = x.data[e] + FD_H;
      const lp = lossOf(c.fwd(xs), g);
      xs[i].data[e] = x.data[e] - FD_H;
      const lm = lossOf(c.fwd(xs), g);
      const fd = (lp - lm) / (2 * FD_H);
      const excess = Math.abs(fd - w!.data[e]) / (FD_TOL * (1 + Math.abs(w!.data[e])));
      if (excess > worst) {
        worst = excess;
        worstAt = e;
      }
    }
    if (worst > 1) {
      // recompute the worst for the message
      const xs = c.inputs.map((y) => ({ shape: y.shape, data: y.data.slice() }));
      xs[i].data[worstAt] = x.data[worstAt] + FD_H;
      const lp = lossOf(c.fwd(xs), g);
      xs[i].data[worstAt] = x.data[worstAt] - FD_H;
      const lm = lossOf(c.fwd(xs), g);
      throw new Error(`${c.label}: reference gradient of input ${i} at ${worstAt} is ${w!.data[worstAt]}, finite differences give ${(lp - lm) / (2 * FD_H)}`);
    }
  });
}

/** Runs both checks. The GPU inputs and gradients are freed afterwards. */
export async function gradCheck(d: Device, c: GradCase): Promise<void> {
  const out0 = c.fwd(c.inputs);
  const g = randHost(out0.shape, c.seed ?? 9000, 1);
  const want = c.bwd(c.inputs, g);
  if (!c.noFd) finiteDifferences(c, g, want);
  const frozen = new Set(c.frozen ?? []);
  const xs = c.inputs.map((x, i) => up(d, x).keep().requireGrad(!frozen.has(i)));
  try {
    d.scope(() => {
      const out = c.gpu(xs);
      expect(out.shape, `${c.label}: output shape`).toEqual(out0.shape);
      backward(out, { grad: up(d, g) });
    });
    expect(tapeOf(d).nodes.length, `${c.label}: tape cleared`).toBe(0);
    for (let i = 0; i < xs.length; i++) {
      if (frozen.has(i)) {
        expect(xs[i].grad, `${c.label}: frozen input ${i} has no gradient`).toBeNull();
        continue;
      }
      expect(xs[i].grad, `${c.label}: gradient of input ${i}`).toBeTruthy();
      await expectClose(xs[i].grad!, want[i]!, c.tol, `${c.label} d/dx${i}`);
    }
  } finally {
    for (const x of xs) x.dispose();
  }
}
