// linear, PyTorch's Linear: x [..., in] · weightᵀ (weight [out, in], f32 or packed f16/bf16) + bias
// [out] — the kernel (matmul.ts's with the transpose in its flags), its reference, the backward (two
// matmuls and a sum) and its reference, and the public differentiable op.

import type { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../shape.js';
import { matmulGradRef, matmulKernel, matmulRef } from './matmul.js';
import { sumToShape } from './elementwise.grad.js';
import type { HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** PyTorch's Linear: x [..., in] · weightᵀ (weight [out, in], f32 or packed f16/bf16) + bias [out]. */
export function linearKernel(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (weight.rank !== 2) throw new ShapeError('linear', `weight must be [out, in], got ${fmtShape(weight.shape)}`);
  const inF = weight.shape[1];
  if (x.shape[x.rank - 1] !== inF)
    throw new ShapeError('linear', `input ${fmtShape(x.shape)} has ${x.shape[x.rank - 1]} features, weight ${fmtShape(weight.shape)} expects ${inF}`);
  const rows = x.numel / inF;
  const flat = x.reshape([rows, inF]);
  const y = matmulKernel(flat, weight, { transposeB: true, bias });
  flat.dispose();
  const shaped = y.reshape([...x.shape.slice(0, -1), weight.shape[0]]);
  y.dispose();
  return shaped;
}

/** The float64 reference of linearKernel. */
export function linearRef(x: HostTensor, weight: HostTensor, bias?: HostTensor): HostTensor {
  const inF = weight.shape[1];
  const rows = x.data.length / inF;
  const y = matmulRef({ shape: [rows, inF], data: x.data }, weight, { transposeB: true, bias });
  return { shape: [...x.shape.slice(0, -1), weight.shape[0]], data: y.data };
}

export interface LinearGrads {
  dx?: Tensor;
  dweight?: Tensor;
  dbias?: Tensor;
}

/** Gradients of linear(x, weight [out, in], bias) given g [..., out]. */
export function linearBackward(x: Tensor, weight: Tensor, g: Tensor, want: { x?: boolean; weight?: boolean; bias?: boolean }): LinearGrads {
  const [outF, inF] = weight.shape;
  const rows = x.numel / inF;
  const g2 = g.reshape([rows, outF]);
  const res: LinearGrads = {};
  if (want.x) {
    const dx = matmulKernel(g2, weight);
    res.dx = dx.reshape(x.shape);
    dx.dispose();
  }
  if (want.weight) {
    const x2 = x.reshape([rows, inF]);
    res.dweight = matmulKernel(g2, x2, { transposeA: true });
    x2.dispose();
  }
  if (want.bias) res.dbias = sumToShape(g2, [outF]);
  g2.dispose();
  return res;
}

/** The float64 reference of linearBackward: [dx, dweight, dbias] against g [..., out]. */
export function linearGradRef(x: HostTensor, weight: HostTensor, g: HostTensor): [HostTensor, HostTensor, HostTensor] {
  const [outF, inF] = weight.shape;
  const rows = x.data.length / inF;
  const [dx, dw, db] = matmulGradRef({ shape: [rows, inF], data: x.data }, weight, { shape: [rows, outF], data: g.data }, { transposeB: true });
  return [{ shape: [...x.shape], data: dx.data }, dw, db];
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  if (!needsGrad(x, weight, bias)) return linearKernel(x, weight, bias);
  const out = rawOf(x.device, () => linearKernel(x, weight, bias));
  record('linear', [x, weight, bias], [out], [x, weight], ([g], [sx, sw], need) => {
    const r = linearBackward(sx, sw, g!, { x: need[0], weight: need[1], bias: need[2] });
    return [r.dx, r.dweight, r.dbias];
  });
  return out;
}
