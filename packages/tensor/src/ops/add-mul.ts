// addMul: h + g·y with numpy broadcasting, in one kernel — the gated residual of adaLN-Zero blocks
// (x + gate·attn(x), gate [B, 1, C]) without the intermediate g·y. The kernel, its float64 reference
// (the two binary references composed), the public differentiable op, whose backward is the add's and
// the mul's (sumExpr fuses each product with its sum over broadcast axes), and that backward's
// reference.

import { Tensor } from '../tensor.js';
import { broadcastShapes, sameShape } from '../shape.js';
import { memo, requireDtype, sameDevice } from './wgsl.js';
import { broadcastIndex } from './elementwise-wgsl.js';
import { defineKernel } from './kernel.js';
import { sumExpr, sumToShape } from './elementwise.grad.js';
import { binary as binaryRef } from './elementwise.ref.js';
import { binary as binaryGradRef, sumToShape as sumToShapeRef } from './elementwise.grad.ref.js';
import type { HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/**
 * h + g·y with numpy broadcasting, in one kernel: the gated residual of adaLN-Zero blocks
 * (x + gate·attn(x), gate [B, 1, C]) without the intermediate g·y.
 */
export function addMulKernel(h: Tensor, g: Tensor, y: Tensor): Tensor {
  const device = sameDevice('addMul', h, g, y);
  for (const t of [h, g, y]) requireDtype('addMul', t, 'f32');
  const shape = broadcastShapes('addMul', broadcastShapes('addMul', h.shape, g.shape), y.shape);
  const out = Tensor.empty(device, shape);
  const same = [h, g, y].every((t) => sameShape(t.shape, shape));
  const k = memo(`addMul:${same ? '' : `${h.shape}|${g.shape}|${y.shape}|${shape}`}`, () =>
    defineKernel({
      name: 'addMul',
      inputs: { H: 'f32', G: 'f32', Y: 'f32' },
      outputs: { O: 'f32' },
      each: 'thread',
      body: `  ${broadcastIndex('ih', h.shape, shape)}
  ${broadcastIndex('ig', g.shape, shape)}
  ${broadcastIndex('iy', y.shape, shape)}
  O[i] = fma(G[ig], Y[iy], H[ih]);`,
    }),
  );
  k.launch(device, { inputs: [h.buffer, g.buffer, y.buffer], outputs: [out.buffer], count: out.numel });
  return out;
}

/** The float64 reference of addMulKernel: the plain composition of the two binary references. */
export function addMulRef(h: HostTensor, g: HostTensor, y: HostTensor): HostTensor {
  return binaryRef('add', h, binaryRef('mul', g, y));
}

/** The float64 reference of addMul's backward: [dh, dg, dy], each summed to its operand's shape. */
export function addMulGradRef(h: HostTensor, g: HostTensor, y: HostTensor, grad: HostTensor): [HostTensor, HostTensor, HostTensor] {
  const [dg, dy] = binaryGradRef('mul', g, y, sumToShapeRef(grad, broadcastShapes('mul', g.shape, y.shape)));
  return [sumToShapeRef(grad, h.shape), dg, dy];
}

/** The public op: the kernel, recording its backward (the add's and the mul's) when an input requires gradients. */
export function addMul(h: Tensor, g: Tensor, y: Tensor): Tensor {
  if (!needsGrad(h, g, y)) return addMulKernel(h, g, y);
  const out = rawOf(h.device, () => addMulKernel(h, g, y));
  record('addMul', [h, g, y], [out], [g, y], ([grad], [sg, sy], need) => [
    need[0] ? sumToShape(grad!, h.shape) : null,
    need[1]
      ? sumExpr(
          'addMul_grad_g',
          out.shape,
          sg.shape,
          [
            { name: 'g', t: grad! },
            { name: 'y', t: sy },
          ],
          'g * y',
        )
      : null,
    need[2]
      ? sumExpr(
          'addMul_grad_y',
          out.shape,
          sy.shape,
          [
            { name: 'g', t: grad! },
            { name: 'm', t: sg },
          ],
          'g * m',
        )
      : null,
  ]);
  return out;
}
