// permute (and transpose, two axes swapped): out.shape[i] = x.shape[perm[i]] — the kernel, its
// reference, and the public differentiable op, whose backward is the inverse permutation (so its
// gradient reference is the reference permuted back). One thread per output element; the shape stays
// in the kernel text (constant divisors are cheap, runtime ones are per-lane divisions on software
// adapters), so each shape compiles once.

import { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { normAxis, stridesOf } from '../shape.js';
import { elementType, memo } from './wgsl.js';
import { defineKernel } from './kernel.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** Reorders axes: out.shape[i] = x.shape[perm[i]]. */
export function permuteKernel(x: Tensor, perm: readonly number[]): Tensor {
  const op = 'permute';
  const ty = elementType(x.dtype, op, x);
  const rank = x.rank;
  const p = perm.map((a) => normAxis(op, a, rank));
  if (p.length !== rank || new Set(p).size !== rank) throw new ShapeError(op, `[${perm.join(',')}] is not a permutation of ${rank} axes`);
  const outShape = p.map((a) => x.shape[a]);
  const out = Tensor.empty(x.device, outShape, x.dtype);
  const os = stridesOf(outShape);
  const xs = stridesOf(x.shape);
  const terms = p.map((a, i) => {
    const coord = i === 0 ? `(i / ${os[i]}u)` : `((i / ${os[i]}u) % ${outShape[i]}u)`;
    return `${coord} * ${xs[a]}u`;
  });
  const k = memo(`permute:${ty}:${x.shape}:${p}`, () =>
    defineKernel({ name: op, inputs: { X: ty }, outputs: { O: ty }, each: 'thread', body: `  O[i] = X[${terms.join(' + ') || '0u'}];` }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

/** Swaps two axes. */
export function transposeKernel(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const [i, j] = [normAxis('transpose', a, x.rank), normAxis('transpose', b, x.rank)];
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permuteKernel(x, perm);
}

/** The reference of permuteKernel. */
export function permuteRef(x: HostTensor, perm: number[]): HostTensor {
  const p = perm.map((a) => (a < 0 ? a + x.shape.length : a));
  const shape = p.map((a) => x.shape[a]);
  const out = host(shape);
  const xs = stridesOf(x.shape);
  const os = stridesOf(shape);
  for (let i = 0; i < out.data.length; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += (Math.floor(i / os[d]) % shape[d]) * xs[p[d]];
    out.data[i] = x.data[src];
  }
  return out;
}

/** The reference of permute's backward: g permuted back by the inverse permutation. */
export function permuteGradRef(g: HostTensor, perm: number[]): HostTensor {
  const p = perm.map((a) => (a < 0 ? a + g.shape.length : a));
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  return permuteRef(g, inv);
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (!needsGrad(x)) return permuteKernel(x, perm);
  const out = rawOf(x.device, () => permuteKernel(x, perm));
  const p = perm.map((a) => normAxis('permute', a, x.rank));
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => (inv[a] = i));
  record('permute', [x], [out], [], ([g]) => [permuteKernel(g!, inv)]);
  return out;
}

/** Swaps two axes: a permute, so differentiable. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const [i, j] = [normAxis('transpose', a, x.rank), normAxis('transpose', b, x.rank)];
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}
