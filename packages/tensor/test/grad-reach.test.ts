// Every public op of @cleardit/tensor, walked: a gradient reaches each of its float inputs (finite,
// of the input's shape, not all zero), or the op is declared not differentiable and throws when a
// tensor that requires gradients reaches it. The list of cases is checked against the package's
// exports, so a new op cannot be exported without a case here. (Values are checked elsewhere: the
// autograd tests hold every backward to finite differences and float64 references.)
import { describe, it, expect, beforeAll } from 'vitest';
import * as T from '../src/index.js';
import { type Device, type Tensor, tensor, normalValues, backward, sumAll, mul } from '../src/index.js';
import { getDevice } from './helpers.js';

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

let seed = 100;
/** A parameter of `shape` with seeded values (positive when `positive`: log, sqrt, rsqrt, pow). */
const p = (shape: number[], positive = false): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = normalValues(seed++, n).map((x) => (positive ? 0.5 + Math.abs(x) : x));
  return tensor(d, v, shape).keep().requireGrad();
};
const ids = (v: number[]) => tensor(d, v, [v.length], 'i32');

/** Each case: its parameters and the op applied to them. */
type Case = () => { params: Tensor[]; out: Tensor | Tensor[] };
const unaryCase =
  (f: (a: Tensor) => Tensor | Tensor[], positive = false): Case =>
  () => {
    const a = p([2, 3], positive);
    return { params: [a], out: f(a) };
  };
const binaryCase =
  (f: (a: Tensor, b: Tensor) => Tensor, positiveB = false): Case =>
  () => {
    const [a, b] = [p([2, 3]), p([1, 3], positiveB)]; // b broadcasts over rows
    return { params: [a, b], out: f(a, b) };
  };

const CASES: Record<string, Case> = {
  unary: unaryCase((a) => T.unary('exp', a)),
  neg: unaryCase(T.neg),
  exp: unaryCase(T.exp),
  log: unaryCase(T.log, true),
  sqrt: unaryCase(T.sqrt, true),
  rsqrt: unaryCase(T.rsqrt, true),
  tanh: unaryCase(T.tanh),
  sin: unaryCase(T.sin),
  cos: unaryCase(T.cos),
  abs: unaryCase(T.abs),
  silu: unaryCase(T.silu),
  sigmoid: unaryCase(T.sigmoid),
  square: unaryCase(T.square),
  geluTanh: unaryCase(T.geluTanh),
  geluErf: unaryCase(T.geluErf),
  softplus: unaryCase(T.softplus),
  powScalar: unaryCase((a) => T.powScalar(a, 1.5), true),
  addScalar: unaryCase((a) => T.addScalar(a, 2)),
  mulScalar: unaryCase((a) => T.mulScalar(a, 3)),
  copy: unaryCase(T.copy),
  cast: unaryCase((a) => T.cast(a, 'f32')),
  reshape: unaryCase((a) => T.reshape(a, [3, 2])),
  binary: binaryCase((a, b) => T.binary('mul', a, b)),
  add: binaryCase(T.add),
  sub: binaryCase(T.sub),
  mul: binaryCase(T.mul),
  div: binaryCase(T.div, true),
  maximum: binaryCase(T.maximum),
  minimum: binaryCase(T.minimum),
  addMul: () => {
    const [h, g, y] = [p([2, 1, 4]), p([2, 1, 4]), p([2, 3, 4])];
    return { params: [h, g, y], out: T.addMul(h, g, y) };
  },
  reduce: unaryCase((a) => T.reduce('sum', a, 1)),
  sum: unaryCase((a) => T.sum(a, 0)),
  mean: unaryCase((a) => T.mean(a, 1, true)),
  max: unaryCase((a) => T.max(a, 1)),
  softmax: unaryCase((a) => T.softmax(a, -1)),
  logSoftmax: unaryCase((a) => T.logSoftmax(a, 0)),
  layerNorm: () => {
    const [x, w, b] = [p([2, 8]), p([8]), p([8])];
    return { params: [x, w, b], out: T.layerNorm(x, { weight: w, bias: b }) };
  },
  rmsNorm: () => {
    const [x, w] = [p([2, 8]), p([8])];
    return { params: [x, w], out: T.rmsNorm(x, w) };
  },
  groupNorm: () => {
    const [x, w, b] = [p([1, 4, 3, 3]), p([4]), p([4])];
    return { params: [x, w, b], out: T.groupNorm(x, 2, { weight: w, bias: b }) };
  },
  modulate: () => {
    const [x, shift, scale] = [p([2, 3, 8]), p([2, 1, 8]), p([2, 1, 8])];
    return { params: [x, shift, scale], out: T.modulate(x, shift, scale) };
  },
  matmul: () => {
    const [a, b] = [p([3, 4]), p([4, 5])];
    return { params: [a, b], out: T.matmul(a, b) };
  },
  linear: () => {
    const [x, w, b] = [p([2, 4]), p([3, 4]), p([3])];
    return { params: [x, w, b], out: T.linear(x, w, b) };
  },
  permute: unaryCase((a) => T.permute(a, [1, 0])),
  transpose: unaryCase((a) => T.transpose(a)),
  concat: () => {
    const [a, b] = [p([2, 3]), p([1, 3])];
    return { params: [a, b], out: T.concat([a, b], 0) };
  },
  slice: unaryCase((a) => T.slice(a, 1, 1, 3)),
  split: unaryCase((a) => T.split(a, [1, 2], 1)),
  indexSelect: () => {
    const x = p([4, 3]);
    return { params: [x], out: T.indexSelect(x, 0, ids([3, 0, 3])) };
  },
  gather: () => {
    const table = p([5, 2]);
    return { params: [table], out: T.gather(table, ids([1, 4])) };
  },
  upsampleNearest2x: () => {
    const x = p([1, 2, 2, 3]);
    return { params: [x], out: T.upsampleNearest2x(x) };
  },
  conv2d: () => {
    const [x, w, b] = [p([1, 2, 4, 4]), p([3, 2, 3, 3]), p([3])];
    return { params: [x, w, b], out: T.conv2d(x, w, { bias: b, padding: 1 }) };
  },
  scaledDotProductAttention: () => {
    const [q, k, v, mask] = [p([1, 2, 3, 4]), p([1, 2, 5, 4]), p([1, 2, 5, 4]), p([1, 1, 3, 5])];
    return { params: [q, k, v, mask], out: T.scaledDotProductAttention(q, k, v, { mask }) };
  },
  rope: () => {
    const [x, pe] = [p([1, 2, 3, 4]), p([3, 2, 2, 2])];
    return { params: [x, pe], out: T.rope(x, pe) };
  },
  sumAll: unaryCase(T.sumAll),
  meanAll: unaryCase(T.meanAll),
  mseLoss: () => {
    const [a, b] = [p([2, 3]), p([2, 3])];
    return { params: [a, b], out: T.mseLoss(a, b) };
  },
  maskedMean: () => {
    const [x, mask] = [p([2, 3, 4]), p([2, 3, 1], true)];
    return { params: [x, mask], out: T.maskedMean(x, mask) };
  },
};

/** Ops declared not differentiable: a tensor that requires gradients is refused by name. */
const NOT_DIFFERENTIABLE: Record<string, { run: () => unknown; error: RegExp }> = {
  'cast to a 16-bit dtype': { run: () => T.cast(p([2, 3]), 'f16'), error: /cast: f32 → f16 is not differentiable, and this tensor requires gradients/ },
};

/** Exported functions that are not tensor ops (constructors, helpers, I/O, the tape itself). */
const NOT_OPS = new Set(
  (
    'AdamW AdapterError BlobSource BytesSource ClearditError DTypeError Device DeviceLimitError DeviceLostError DeviceMismatchError DisposedError InputError ' +
    'KernelCompileError Optimizer ' +
    'OutOfMemoryError Prodigy SafetensorsError SafetensorsReader ShapeError Tape Tensor anyNeedsGrad backward bf16ToFloat bf16sToFloats broadcastShapes ' +
    'broadcastStrides buildHeader checkHeaderLength checkShape checkpointTensors clipGradNorm constantSchedule createBrowserDevice defineKernel describeAdapter ' +
    'encodeSafetensors f32Lit floatToBf16 floatToHalf floatsToBf16s floatsToHalves fmtBytes fmtShape foldGrid full halfToFloat halvesToFloats hostArrayFor ' +
    'isPacked16 isSoftwareAdapter linearWarmup loadCheckpoint memo namedParams needsGrad noGrad normAxis normalValues numel ones parseHeader philox rand randn ' +
    'rawOf record rowKernel rowKit rowMode safetensorsChunks sameShape storageBytes storedToFloats stridesOf tapeOf tensor tensorFromBits uniformValues warmupCosine zeros'
  ).split(' '),
);

describe('every public op passes a gradient to its inputs', () => {
  it('the cases cover every exported function that is an op, and nothing else', () => {
    const exported = Object.entries(T)
      .filter(([, v]) => typeof v === 'function')
      .map(([k]) => k);
    const uncovered = exported.filter((k) => !(k in CASES) && !NOT_OPS.has(k));
    expect(uncovered, 'exported ops without a case here (add one, or declare the op not differentiable)').toEqual([]);
    expect(Object.keys(CASES).filter((k) => !exported.includes(k))).toEqual([]);
  });

  for (const [name, make] of Object.entries(CASES))
    it(name, async () => {
      const { params, out } = make();
      const outs = Array.isArray(out) ? out : [out];
      expect(
        outs.every((o) => o.requiresGrad),
        'output requires gradients',
      ).toBe(true);
      // a weighted sum, so ops whose plain sum is constant (softmax, layerNorm) still pass a gradient
      let loss: Tensor | undefined;
      for (const o of outs) {
        const w = tensor(d, normalValues(seed++, o.numel), o.shape);
        const term = sumAll(mul(o, w));
        loss = loss ? T.add(loss, term) : term;
      }
      backward(loss!);
      for (const [i, x] of params.entries()) {
        expect(x.grad, `input ${i} has a gradient`).not.toBeNull();
        expect(x.grad!.shape, `input ${i}'s gradient shape`).toEqual(x.shape);
        const g = await x.grad!.toFloat32();
        expect(
          g.every((v) => Number.isFinite(v)),
          `input ${i}'s gradient is finite`,
        ).toBe(true);
        expect(
          g.some((v) => v !== 0),
          `input ${i}'s gradient is not all zero`,
        ).toBe(true);
        x.dispose();
      }
    });

  for (const [name, c] of Object.entries(NOT_DIFFERENTIABLE))
    it(`${name}: declared not differentiable, refused`, () => {
      expect(c.run).toThrowError(c.error);
    });
});
