// Shared test helpers: one device per test file (the adapter CLEARDIT_ADAPTER names, or the best
// found), seeded host data, uploads, and a comparison that prints a readable diff on failure.
import { expect } from 'vitest';
import { createDevice } from '../src/node/index.js';
import { Device, Tensor, tensor, normalValues, ref, stridesOf } from '../src/index.js';

let device: Promise<Device> | undefined;
export function getDevice(): Promise<Device> {
  device ??= createDevice();
  return device;
}

export function randHost(shape: number[], seed: number, scale = 1, offset = 0): ref.HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = normalValues(seed, n);
  return ref.host(
    shape,
    Array.from(v, (x) => Math.fround(x * scale + offset)),
  );
}

export function up(d: Device, h: ref.HostTensor): Tensor {
  return tensor(d, h.data, h.shape);
}

export interface Tol {
  atol: number;
  rtol?: number;
}

/** Compares a GPU tensor against a reference: |got − want| ≤ atol + rtol·|want| everywhere. */
export async function expectClose(got: Tensor, want: ref.HostTensor, tol: Tol, label = ''): Promise<void> {
  expect(got.shape, `${label} shape`).toEqual(want.shape);
  const g = await got.toArray();
  const rtol = tol.rtol ?? 0;
  let worst = -1;
  let worstExcess = 0;
  let bad = 0;
  for (let i = 0; i < g.length; i++) {
    const w = want.data[i];
    const err = Math.abs(g[i] - w);
    const limit = tol.atol + rtol * Math.abs(w);
    if (!(err <= limit) && !(Number.isNaN(w) && Number.isNaN(g[i])) && !(g[i] === w)) {
      bad++;
      if (!(err / limit <= worstExcess)) {
        worstExcess = err / limit;
        worst = i;
      }
    }
  }
  if (bad) {
    const st = stridesOf(want.shape);
    const coords = st.map((s, d) => Math.floor(worst / s) % want.shape[d]);
    const lines = [`${label}: ${bad} of ${g.length} elements outside atol ${tol.atol} + rtol ${rtol}`];
    lines.push(
      `  worst at [${coords.join(',')}]: got ${g[worst]}, want ${want.data[worst]} (|diff| ${Math.abs(g[worst] - want.data[worst]).toExponential(3)})`,
    );
    const show = Math.min(g.length, 8);
    lines.push(`  first ${show}: got  ${Array.from(g.slice(0, show), (x) => x.toPrecision(6)).join(' ')}`);
    lines.push(`             want ${Array.from(want.data.slice(0, show), (x) => x.toPrecision(6)).join(' ')}`);
    throw new Error(lines.join('\n'));
  }
}

/** Max |a − b| over two arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
