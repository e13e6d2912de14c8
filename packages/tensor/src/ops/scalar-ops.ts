// addScalar and mulScalar: x + s and x·s for a number s (a kernel parameter, so one kernel serves every
// value) — the kernels, their float64 references, and the public differentiable ops, whose backward
// is the gradient itself and s times it.

import type { Tensor } from '../tensor.js';
import { mapKernel } from './map-kernel.js';
import { map } from './elementwise.ref.js';
import type { HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** x + s. */
export function addScalarKernel(a: Tensor, s: number): Tensor {
  return mapKernel('add_scalar', a, 'x + P.s', s);
}

/** x·s. */
export function mulScalarKernel(a: Tensor, s: number): Tensor {
  return mapKernel('mul_scalar', a, 'x * P.s', s);
}

/** The float64 reference of addScalarKernel (s rounded to f32, as the kernel's parameter is). */
export function addScalarRef(x: HostTensor, s: number): HostTensor {
  return map(x, (v) => v + Math.fround(s));
}

/** The float64 reference of mulScalarKernel (s rounded to f32, as the kernel's parameter is). */
export function mulScalarRef(x: HostTensor, s: number): HostTensor {
  return map(x, (v) => v * Math.fround(s));
}

/** The public op: the kernel, recording its backward (the gradient itself) when x requires gradients. */
export function addScalar(a: Tensor, s: number): Tensor {
  if (!needsGrad(a)) return addScalarKernel(a, s);
  const out = rawOf(a.device, () => addScalarKernel(a, s));
  record('addScalar', [a], [out], [], ([g]) => [g!.reshape(g!.shape)]);
  return out;
}

/** The public op: the kernel, recording its backward (s times the gradient) when x requires gradients. */
export function mulScalar(a: Tensor, s: number): Tensor {
  if (!needsGrad(a)) return mulScalarKernel(a, s);
  const out = rawOf(a.device, () => mulScalarKernel(a, s));
  record('mulScalar', [a], [out], [], ([g]) => [mulScalarKernel(g!, s)]);
  return out;
}
