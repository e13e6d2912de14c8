// powScalar: x^p for a number p — the kernel (common powers written out, an integer p keeping the
// sign of odd powers of negative x), its float64 reference, the backward p·x^(p−1)·g and its
// reference, and the public differentiable op.

import type { Tensor } from '../tensor.js';
import { f32Lit } from './wgsl.js';
import { mapKernel } from './map-kernel.js';
import { sumExpr } from './elementwise.grad.js';
import { host, type HostTensor } from './host.js';
import { map } from './elementwise.ref.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** x^p. Integer p works for negative x (sign follows odd powers); other p require x ≥ 0. */
export function powScalarKernel(a: Tensor, p: number): Tensor {
  if (p === 1) return mapKernel('pow', a, 'x');
  if (p === 2) return mapKernel('pow', a, 'x * x');
  if (p === 0.5) return mapKernel('pow', a, 'sqrt(x)');
  if (p === -0.5) return mapKernel('pow', a, 'inverseSqrt(x)');
  if (p === -1) return mapKernel('pow', a, '1.0 / x');
  if (p === 0) return mapKernel('pow', a, '1.0');
  if (Number.isInteger(p)) {
    const sign = Math.abs(p) % 2 === 1 ? 'select(1.0, -1.0, x < 0.0)' : '1.0';
    return mapKernel('pow', a, `${sign} * pow(abs(x), P.s)`, p);
  }
  return mapKernel('pow', a, 'pow(x, P.s)', p);
}

/** The float64 reference of powScalarKernel. */
export function powScalarRef(x: HostTensor, p: number): HostTensor {
  return map(x, (v) => v ** p);
}

/** WGSL for p·x^(p−1) (matching powScalar's handling of integer powers of negative x). */
function powDerivative(p: number): string {
  if (p === 0) return '0.0';
  if (p === 1) return '1.0';
  if (p === 2) return '2.0 * x';
  if (p === 0.5) return '0.5 * inverseSqrt(x)';
  if (p === -0.5) return '-0.5 * inverseSqrt(x) / x';
  if (p === -1) return '-1.0 / (x * x)';
  if (Number.isInteger(p)) {
    const q = p - 1;
    const sign = Math.abs(q) % 2 === 1 ? 'select(1.0, -1.0, x < 0.0)' : '1.0';
    return `${f32Lit(p)} * ${sign} * pow(abs(x), ${f32Lit(q)})`;
  }
  return `${f32Lit(p)} * pow(x, ${f32Lit(p - 1)})`;
}

/** The gradient of powScalar(x, p) given the output's gradient g. */
export function powScalarBackward(x: Tensor, p: number, g: Tensor): Tensor {
  return sumExpr(
    'pow_grad',
    x.shape,
    x.shape,
    [
      { name: 'x', t: x },
      { name: 'g', t: g },
    ],
    `g * (${powDerivative(p)})`,
  );
}

/** The float64 reference of powScalarBackward. */
export function powScalarGradRef(x: HostTensor, p: number, g: HostTensor): HostTensor {
  const out = host(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = p === 0 ? 0 : g.data[i] * p * x.data[i] ** (p - 1);
  return out;
}

/** The public op: the kernel, recording its backward on the tape when x requires gradients. */
export function powScalar(a: Tensor, p: number): Tensor {
  if (!needsGrad(a)) return powScalarKernel(a, p);
  const out = rawOf(a.device, () => powScalarKernel(a, p));
  record('powScalar', [a], [out], [a], ([g], [x]) => [powScalarBackward(x, p, g!)]);
  return out;
}
