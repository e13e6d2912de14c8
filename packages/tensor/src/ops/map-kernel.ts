// The one-input map kernel every elementwise map shares (unary ops, powScalar, addScalar, mulScalar):
// one thread per element, `O[i] = expr(x)`, with an optional scalar parameter. Internal: not exported
// from the package.

import { Tensor } from '../tensor.js';
import { memo, requireDtype } from './wgsl.js';
import { PRELUDE, HELPERS } from './elementwise-wgsl.js';
import { defineKernel } from './kernel.js';

/** A one-input map `O[i] = expr(x)`; `s` in the expression is the uniform scalar P.s when given. */
export function mapKernel(op: string, a: Tensor, expr: string, s?: number): Tensor {
  requireDtype(op, a, 'f32');
  const device = a.device;
  const out = Tensor.empty(device, a.shape);
  const k = memo(`map:${op}:${expr}`, () =>
    defineKernel({
      name: op,
      inputs: { A: 'f32' },
      outputs: { O: 'f32' },
      params: s === undefined ? {} : { s: 'f32' },
      prelude: HELPERS.test(expr) ? PRELUDE : undefined,
      each: 'thread',
      body: `  let x = A[i];\n  O[i] = ${expr};`,
    }),
  );
  k.launch(device, { inputs: [a.buffer], outputs: [out.buffer], count: a.numel, params: s === undefined ? {} : { s } });
  return out;
}
