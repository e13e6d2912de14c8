// softmax along one axis (default the last), max-subtracted — the kernel, its float64 reference, the
// backward y ⊙ (g − Σ g⊙y) from the saved output, its reference, and the public differentiable op.
// Rows as in reduce.ts (reduce-kit.ts); accumulation is f32.

import { Tensor } from '../tensor.js';
import { normAxis } from '../shape.js';
import { forEachRow } from './axes.js';
import { memo, requireDtype } from './wgsl.js';
import { ROW_BASE, ROW_PARAMS, rowGeometry, rowKernel, rowMode, type RowKit } from './reduce-kit.js';
import { host, type HostTensor } from './host.js';
import { needsGrad, rawOf, record } from '../autograd/tape.js';

/**
 * WGSL every softmax-like row kernel starts with: the row's max `m` (reduction slot 0), then each
 * invocation's share of Σ exp(x − m) in `s`, whose row sum (slot 1) the kernel takes where it needs it.
 */
export function maxAndExpSum(kit: RowKit): string {
  return `var m: f32 = -3.4028234663852886e38;
  ${kit.loop('j', 'P.len')} { m = max(m, X[base + j * P.inner]); }
  m = ${kit.max('m', 0)};
  var s: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { s = s + exp(X[base + j * P.inner] - m); }`;
}

/** softmax along `axis` (default the last), max-subtracted. */
export function softmaxKernel(x: Tensor, axis = -1): Tensor {
  requireDtype('softmax', x, 'f32');
  const g = rowGeometry(x.shape, normAxis('softmax', axis, x.rank));
  const out = Tensor.empty(x.device, x.shape);
  const mode = rowMode(x.device, g.rows);
  const k = memo(`softmax:${mode}`, () =>
    rowKernel(mode, 2, {
      name: 'softmax',
      inputs: { X: 'f32' },
      outputs: { O: 'f32' },
      params: ROW_PARAMS,
      body: (kit) => `${ROW_BASE}  ${maxAndExpSum(kit)}
  let inv = 1.0 / ${kit.sum('s', 1)};
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; O[e] = exp(X[e] - m) * inv; }`,
    }),
  );
  k.launch(x.device, { inputs: [x.buffer], outputs: [out.buffer], count: g.rows, params: { len: g.len, inner: g.inner } });
  return out;
}

/** The float64 reference of softmaxKernel. */
export function softmaxRef(x: HostTensor, axis = -1): HostTensor {
  const out = host(x.shape);
  forEachRow(x.shape, axis, (at, _row, len) => {
    let m = -Infinity;
    for (let j = 0; j < len; j++) m = Math.max(m, x.data[at(j)]);
    let s = 0;
    for (let j = 0; j < len; j++) s += Math.exp(x.data[at(j)] - m);
    for (let j = 0; j < len; j++) out.data[at(j)] = Math.exp(x.data[at(j)] - m) / s;
  });
  return out;
}

/** The gradient of softmax(x, axis) from its output y and the output's gradient g: y ⊙ (g − Σ g⊙y). */
export function softmaxBackward(y: Tensor, g: Tensor, axis = -1): Tensor {
  requireDtype('softmax_grad', y, 'f32');
  const geo = rowGeometry(y.shape, normAxis('softmax', axis, y.rank));
  const out = Tensor.empty(y.device, y.shape);
  const mode = rowMode(y.device, geo.rows);
  const k = memo(`softmax_grad:${mode}`, () =>
    rowKernel(mode, 1, {
      name: 'softmax_grad',
      inputs: { Y: 'f32', G: 'f32' },
      outputs: { O: 'f32' },
      params: ROW_PARAMS,
      body: (kit) => `${ROW_BASE}  var s: f32 = 0.0;
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; s = s + G[e] * Y[e]; }
  s = ${kit.sum('s', 0)};
  ${kit.loop('j', 'P.len')} { let e = base + j * P.inner; O[e] = Y[e] * (G[e] - s); }`,
    }),
  );
  if (out.numel) k.launch(y.device, { inputs: [y.buffer, g.buffer], outputs: [out.buffer], count: geo.rows, params: { len: geo.len, inner: geo.inner } });
  return out;
}

/** The float64 reference of softmaxBackward. */
export function softmaxGradRef(y: HostTensor, g: HostTensor, axis = -1): HostTensor {
  const out = host(y.shape);
  forEachRow(y.shape, axis, (at, _row, len) => {
    let s = 0;
    for (let j = 0; j < len; j++) s += g.data[at(j)] * y.data[at(j)];
    for (let j = 0; j < len; j++) out.data[at(j)] = y.data[at(j)] * (g.data[at(j)] - s);
  });
  return out;
}

/** The public op: the kernel, recording its backward on the tape when an input requires gradients. */
export function softmax(x: Tensor, axis = -1): Tensor {
  if (!needsGrad(x)) return softmaxKernel(x, axis);
  const out = rawOf(x.device, () => softmaxKernel(x, axis));
  record('softmax', [x], [out], [out], ([g], [y]) => [softmaxBackward(y, g!, axis)]);
  return out;
}
