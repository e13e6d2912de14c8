// Plain reference for rope.ts.
import { host, type HostTensor } from './host.js';

export function rope(x: HostTensor, pe: HostTensor): HostTensor {
  const D = x.shape[x.shape.length - 1];
  const L = x.shape[x.shape.length - 2];
  const out = host(x.shape);
  for (let p = 0; p < x.data.length / 2; p++) {
    const m = (p % ((L * D) / 2)) * 4;
    const [a, b] = [x.data[2 * p], x.data[2 * p + 1]];
    out.data[2 * p] = pe.data[m] * a + pe.data[m + 1] * b;
    out.data[2 * p + 1] = pe.data[m + 2] * a + pe.data[m + 3] * b;
  }
  return out;
}
