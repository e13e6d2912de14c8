// Plain reference for rope.grad.ts: [dx, dpe] of rope(x, pe) against g.
import { host, type HostTensor } from './host.js';

export function rope(x: HostTensor, pe: HostTensor, g: HostTensor): [HostTensor, HostTensor] {
  const D = x.shape[x.shape.length - 1];
  const L = x.shape[x.shape.length - 2];
  const dx = host(x.shape);
  const dpe = host(pe.shape);
  for (let p = 0; p < x.data.length / 2; p++) {
    const m = (p % ((L * D) / 2)) * 4;
    const [a, b] = [x.data[2 * p], x.data[2 * p + 1]];
    const [ga, gb] = [g.data[2 * p], g.data[2 * p + 1]];
    dx.data[2 * p] = pe.data[m] * ga + pe.data[m + 2] * gb;
    dx.data[2 * p + 1] = pe.data[m + 1] * ga + pe.data[m + 3] * gb;
    dpe.data[m] += ga * a;
    dpe.data[m + 1] += ga * b;
    dpe.data[m + 2] += gb * a;
    dpe.data[m + 3] += gb * b;
  }
  return [dx, dpe];
}
