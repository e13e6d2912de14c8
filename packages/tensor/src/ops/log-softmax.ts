// logSoftmax along one axis (default the last): x − max − log Σ exp(x − max), in one row kernel —
// the log-probabilities a cross-entropy needs, without the rounding of log(softmax(x)) for small
// probabilities or the six kernels of its stable composition (max, sub, exp, sum, log, sub). The kernel, its float64 reference, the
// backward g − exp(y)·Σg from the saved output y, its reference, and the public differentiable op.
// Rows as in reduce.ts (reduce-kit.ts); accumulation is f32.

import { Tensor } from '../tensor.js';
import { normAxis } from '../shape.js';
import { forEachRow } from './axes.js';
import { memo, requireDtype } from './wgsl.js';
import { ROW_BASE, ROW_PARAMS, rowGeometry, rowKernel, rowMode } from './reduce-kit.js';
import { maxAndExpSum } from './softmax.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/** log softmax along `axis` (default the last), max-subtracted. */
export function logSoftmaxKernel(x: Tensor, axis = -1): Tensor {
  requireDtype('logSoftmax', x, 'f32');
  const g = rowGeometry(x.shape, normAxis('logSoftmax', axis, x.rank));
  const out = Tensor.empty(x.device, x.shape);
  const mode = rowMode(x.device, g.rows);
  const k = memo(`logSoftmax:${mode}`, () =>
    rowKernel(mode, 2, {
      name: 'log_softmax',
      inputs: { X: 'f32' },
      outputs: { O: 'f32' },
      params: ROW_PARAMS,
      body: (kit) => `${ROW_BASE}  ${maxAndExpSum(kit)}
  let shift = m + log(${kit.sum('s', 1)});
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; O[e] = X[e] - shift; }`,
    }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: g.rows, params: { len: g.len, inner: g.inner } });
  return out;
}

/** The float64 reference of logSoftmaxKernel. */
export function logSoftmaxRef(x: HostTensor, axis = -1): HostTensor {
  const out = host(x.shape);
  forEachRow(x.shape, axis, (at, _row, len) => {
    let m = -Infinity;
    for (let j = 0; j < len; j++) m = Math.max(m, x.data[at(j)]);
    let s = 0;
    for (let j = 0; j < len; j++) s += Math.exp(x.data[at(j)] - m);
    const shift = m + Math.log(s);
    for (let j = 0; j < len; j++) out.data[at(j)] = x.data[at(j)] - shift;
  });
  return out;
}

/** The gradient of logSoftmax(x, axis) from its output y and the output's gradient g: g − exp(y)·Σ g. */
export function logSoftmaxBackward(y: Tensor, g: Tensor, axis = -1): Tensor {
  requireDtype('logSoftmax_grad', y, 'f32');
  const geo = rowGeometry(y.shape, normAxis('logSoftmax', axis, y.rank));
  const out = Tensor.empty(y.device, y.shape);
  const mode = rowMode(y.device, geo.rows);
  const k = memo(`logSoftmax_grad:${mode}`, () =>
    rowKernel(mode, 1, {
      name: 'log_softmax_grad',
      inputs: { Y: 'f32', G: 'f32' },
      outputs: { O: 'f32' },
      params: ROW_PARAMS,
      body: (kit) => `${ROW_BASE}  var s: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { s = s + G[base + j * P.inner]; }
  s = ${kit.sum('s', 0)};
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; O[e] = G[e] - exp(Y[e]) * s; }`,
    }),
  );
  if (out.numel) k.launch(y.device, { inputs: [y.buffer, g.buffer], outputs: [out.buffer], count: geo.rows, params: { len: geo.len, inner: geo.inner } });
  return out;
}

/** The float64 reference of logSoftmaxBackward. */
export function logSoftmaxGradRef(y: HostTensor, g: HostTensor, axis = -1): HostTensor {
  const out = host(y.shape);
  forEachRow(y.shape, axis, (at, _row, len) => {
    let s = 0;
    for (let j = 0; j < len; j++) s += g.data[at(j)];
    for (let j = 0; j < len; j++) out.data[at(j)] = g.data[at(j)] - Math.exp(y.data[at(j)]) * s;
  });
  return out;
}

/** The public op: the kernel, recording its backward on the tape when x requires gradients. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  if (!needsGrad(x)) return logSoftmaxKernel(x, axis);
  const out = rawOf(x.device, () => logSoftmaxKernel(x, axis));
  record('logSoftmax', [x], [out], [out], ([g], [y]) => [logSoftmaxBackward(y, g!, axis)]);
  return out;
}
