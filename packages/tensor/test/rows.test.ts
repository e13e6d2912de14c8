import { describe, it, beforeAll, expect } from 'vitest';
import { type Device, reduce, softmax, logSoftmax, layerNorm, rmsNorm, groupNorm, ref, tensor } from '../src/index.js';
import { getDevice, randHost, up, expectClose } from './helpers.js';

// f32 accumulation over up to a few thousand elements: relative error grows ~√len·ε; 2e-5 covers it.
const TOL = { atol: 2e-5, rtol: 2e-5 };

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('reductions over an axis', () => {
  const cases: [number[], number][] = [
    [[1], 0],
    [[7], 0],
    [[33, 5], 0],
    [[33, 5], 1],
    [[3, 129], -1],
    [[2, 7, 33], 1],
    [[4, 3, 1], 2],
    [[2, 2000], 1],
    // 300 rows at stride 3 and 260 contiguous ones: one invocation per row on software adapters
    [[4, 75, 3], 2],
    [[5, 6, 52], 1],
    [[260, 9], 1],
  ];
  for (const op of ['sum', 'mean', 'max'] as const)
    it(op, async () => {
      for (const [i, [shape, axis]] of cases.entries()) {
        const x = randHost(shape, 300 + i);
        for (const keep of [false, true])
          await expectClose(reduce(op, up(d, x), axis, keep), ref.reduce(op, x, axis, keep), TOL, `${op} ${JSON.stringify(shape)} axis ${axis}`);
      }
    });

  it('rejects an axis out of range', () => {
    expect(() => reduce('sum', tensor(d, [1, 2], [2]), 1)).toThrowError(/sum: axis 1 is out of range for rank 1/);
  });
});

describe('softmax', () => {
  it('matches the reference on the last and inner axes', async () => {
    for (const [i, [shape, axis]] of (
      [
        [[1], -1],
        [[7], 0],
        [[3, 33], -1],
        [[2, 129, 3], 1],
        [[5, 1000], -1],
      ] as [number[], number][]
    ).entries()) {
      const x = randHost(shape, 400 + i, 4);
      await expectClose(softmax(up(d, x), axis), ref.softmax(x, axis), { atol: 1e-6, rtol: 1e-5 }, `softmax ${JSON.stringify(shape)}`);
    }
  });
  it('is stable for large logits', async () => {
    const x = ref.host([4], [1000, 999, -1000, 0]);
    await expectClose(softmax(up(d, x)), ref.softmax(x), { atol: 1e-6, rtol: 1e-5 }, 'large logits');
  });
});

describe('logSoftmax', () => {
  it('matches the reference on the last and inner axes', async () => {
    for (const [i, [shape, axis]] of (
      [
        [[1], -1],
        [[7], 0],
        [[3, 33], -1],
        [[2, 129, 3], 1],
        [[5, 1000], -1],
      ] as [number[], number][]
    ).entries()) {
      const x = randHost(shape, 420 + i, 4);
      // |x − shift| reaches ~20 here: a few f32 ulps of it
      await expectClose(logSoftmax(up(d, x), axis), ref.logSoftmax(x, axis), { atol: 1e-5, rtol: 1e-5 }, `logSoftmax ${JSON.stringify(shape)}`);
    }
  });
  it('keeps the log of probabilities that underflow softmax', async () => {
    // shifted by the max, the last two are −2000 and −1000: exp underflows to 0 in f32, so log(softmax(x))
    // would be −∞ there; their log-probabilities are finite
    const x = ref.host([4], [1000, 999, -1000, 0]);
    await expectClose(logSoftmax(up(d, x)), ref.logSoftmax(x), { atol: 1e-4, rtol: 1e-6 }, 'large logits');
  });
});

describe('normalisations', () => {
  it('layer norm with and without affine', async () => {
    for (const [i, shape] of [
      [1, 7],
      [3, 33],
      [2, 5, 129],
      [4, 3072],
    ].entries()) {
      const x = randHost(shape, 500 + i, 2, 0.5);
      const dim = shape[shape.length - 1];
      const w = randHost([dim], 600 + i, 0.1, 1);
      const b = randHost([dim], 700 + i, 0.1);
      await expectClose(layerNorm(up(d, x), { eps: 1e-6 }), ref.layerNorm(x, { eps: 1e-6 }), TOL, `layerNorm ${shape}`);
      await expectClose(layerNorm(up(d, x), { weight: up(d, w), bias: up(d, b) }), ref.layerNorm(x, { weight: w, bias: b }), TOL, `layerNorm affine ${shape}`);
    }
  });

  it('RMS norm', async () => {
    for (const [i, shape] of [
      [1, 7],
      [3, 33],
      [2, 4, 129],
    ].entries()) {
      const x = randHost(shape, 800 + i, 2);
      const w = randHost([shape[shape.length - 1]], 900 + i, 0.1, 1);
      await expectClose(rmsNorm(up(d, x), up(d, w)), ref.rmsNorm(x, w), TOL, `rmsNorm ${shape}`);
      await expectClose(rmsNorm(up(d, x), undefined, 1e-5), ref.rmsNorm(x, undefined, 1e-5), TOL, `rmsNorm no weight ${shape}`);
    }
  });

  it('group norm over NCHW', async () => {
    const cases: [number[], number][] = [
      [[1, 4, 3, 3], 2],
      [[2, 6, 7, 5], 3],
      [[1, 32, 4, 4], 32],
      [[2, 64, 5, 3], 32],
    ];
    for (const [i, [shape, groups]] of cases.entries()) {
      const x = randHost(shape, 1000 + i, 1.5, 0.3);
      const w = randHost([shape[1]], 1100 + i, 0.1, 1);
      const b = randHost([shape[1]], 1200 + i, 0.1);
      await expectClose(
        groupNorm(up(d, x), groups, { weight: up(d, w), bias: up(d, b), eps: 1e-6 }),
        ref.groupNorm(x, groups, { weight: w, bias: b, eps: 1e-6 }),
        TOL,
        `groupNorm ${shape}/${groups}`,
      );
    }
  });

  it('names the op and shapes on bad parameters', () => {
    const x = tensor(d, new Float32Array(12), [3, 4]);
    expect(() => layerNorm(x, { weight: tensor(d, [1, 2, 3], [3]) })).toThrowError(/layerNorm: weight must have shape \[4\], got \[3\]/);
    expect(() => groupNorm(tensor(d, new Float32Array(12), [1, 6, 2]), 4)).toThrowError(/groupNorm: 6 channels do not split into 4 groups/);
  });
});
