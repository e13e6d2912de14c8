// Backward of softmax, logSoftmax, the norms, matmul/linear, the layout ops, conv2d, attention and rope: GPU
// against the float64 reference backward, reference against central finite differences (gradcheck.ts).
import { describe, it, beforeAll } from 'vitest';
import {
  type Device,
  ref,
  tensor,
  softmax,
  logSoftmax,
  layerNorm,
  rmsNorm,
  groupNorm,
  matmul,
  linear,
  concat,
  slice,
  split,
  permute,
  transpose,
  reshape,
  indexSelect,
  gather,
  upsampleNearest2x,
  conv2d,
  scaledDotProductAttention,
  rope,
  mul,
  modulate,
} from '../src/index.js';
import { getDevice, randHost } from './helpers.js';
import { gradCheck } from './gradcheck.js';

// Row kernels sum up to a few hundred f32 products per element (tree order): ~√n ulps relative.
const ROWS = { atol: 2e-5, rtol: 2e-4 };
// Matmuls and convolutions accumulate K ≤ ~100 f32 products per output (and the batch sums on top).
const MM = { atol: 5e-5, rtol: 2e-4 };
// Moves only: exact up to the sums of repeated indices / 2×2 blocks.
const EXACT = { atol: 1e-6, rtol: 1e-6 };

let d: Device;
beforeAll(async () => {
  d = await getDevice();
});

describe('softmax and norms', () => {
  it('softmax on the last and an inner axis', async () => {
    for (const [i, [shape, axis]] of (
      [
        [[7], 0],
        [[3, 33], -1],
        [[2, 9, 3], 1],
        [[2, 130], 1],
      ] as [number[], number][]
    ).entries())
      await gradCheck(d, {
        label: `softmax ${JSON.stringify(shape)} axis ${axis}`,
        inputs: [randHost(shape, 700 + i, 2)],
        gpu: ([x]) => softmax(x, axis),
        fwd: ([x]) => ref.softmax(x, axis),
        bwd: ([x], g) => [ref.grad.softmax(ref.softmax(x, axis), g, axis)],
        tol: ROWS,
        fdMax: 150,
      });
  });

  it('logSoftmax on the last and an inner axis', async () => {
    for (const [i, [shape, axis]] of (
      [
        [[7], 0],
        [[3, 33], -1],
        [[2, 9, 3], 1],
        [[260, 6], -1],
      ] as [number[], number][]
    ).entries())
      await gradCheck(d, {
        label: `logSoftmax ${JSON.stringify(shape)} axis ${axis}`,
        inputs: [randHost(shape, 720 + i, 2)],
        gpu: ([x]) => logSoftmax(x, axis),
        fwd: ([x]) => ref.logSoftmax(x, axis),
        bwd: ([x], g) => [ref.grad.logSoftmax(ref.logSoftmax(x, axis), g, axis)],
        tol: ROWS,
        fdMax: 150,
      });
  });

  it('layer norm with and without affine parameters', async () => {
    // [2, 130, 7]: 260 rows, one invocation per row on software adapters
    for (const [i, shape] of [
      [1, 7],
      [3, 33],
      [2, 5, 65],
      [2, 130, 7],
    ].entries()) {
      const dim = shape[shape.length - 1];
      const x = randHost(shape, 710 + i, 2, 0.5);
      const w = randHost([dim], 720 + i, 0.3, 1);
      const b = randHost([dim], 730 + i, 0.3);
      await gradCheck(d, {
        label: `layerNorm affine ${shape}`,
        inputs: [x, w, b],
        gpu: ([t, tw, tb]) => layerNorm(t, { weight: tw, bias: tb, eps: 1e-5 }),
        fwd: ([t, tw, tb]) => ref.layerNorm(t, { weight: tw, bias: tb, eps: 1e-5 }),
        bwd: ([t, tw], g) => {
          const r = ref.grad.layerNorm(t, g, { weight: tw, eps: 1e-5 });
          return [r.dx, r.dweight, r.dbias];
        },
        tol: ROWS,
        fdMax: 120,
      });
      await gradCheck(d, {
        label: `layerNorm plain ${shape}`,
        inputs: [x],
        gpu: ([t]) => layerNorm(t, { eps: 1e-6 }),
        fwd: ([t]) => ref.layerNorm(t, { eps: 1e-6 }),
        bwd: ([t], g) => [ref.grad.layerNorm(t, g, { eps: 1e-6 }).dx],
        tol: ROWS,
        fdMax: 120,
      });
    }
  });

  it('adaLN modulate: layerNorm(x)·(1 + scale) + shift per batch item, shift/scale [B, 1, C] or [B, C]', async () => {
    // 3 × 90 = 270 rows: one invocation per row on software adapters, a workgroup per row elsewhere
    for (const [i, [B, L, C]] of [
      [2, 3, 5],
      [3, 90, 8],
    ].entries()) {
      const x = randHost([B, L, C], 760 + i, 2, 0.5);
      const shift = randHost(i ? [B, C] : [B, 1, C], 770 + i, 0.5);
      const scale = randHost([B, 1, C], 780 + i, 0.5);
      await gradCheck(d, {
        label: `modulate ${[B, L, C]}`,
        inputs: [x, shift, scale],
        gpu: ([t, sh, sc]) => modulate(t, sh, sc, 1e-6),
        fwd: ([t, sh, sc]) => ref.modulate(t, sh, sc, 1e-6),
        bwd: ([t, sh, sc], g) => {
          const r = ref.grad.modulate(t, g, sh, sc, 1e-6);
          return [r.dx, r.dshift, r.dscale];
        },
        tol: ROWS,
        fdMax: 120,
      });
    }
  });

  it('softmax and RMS norm over 256 rows and more (the one-invocation-per-row form on software adapters)', async () => {
    await gradCheck(d, {
      label: 'softmax [260,6]',
      inputs: [randHost([260, 6], 793, 2)],
      gpu: ([t]) => softmax(t, -1),
      fwd: ([t]) => ref.softmax(t, -1),
      bwd: ([t], g) => [ref.grad.softmax(ref.softmax(t, -1), g, -1)],
      tol: ROWS,
      fdMax: 60,
    });
    await gradCheck(d, {
      label: 'rmsNorm [300,4]',
      inputs: [randHost([300, 4], 794, 2), randHost([4], 795, 0.3, 1)],
      gpu: ([t, tw]) => rmsNorm(t, tw, 1e-6),
      fwd: ([t, tw]) => ref.rmsNorm(t, tw, 1e-6),
      bwd: ([t, tw], g) => {
        const r = ref.grad.rmsNorm(t, g, tw, 1e-6);
        return [r.dx, r.dweight];
      },
      tol: ROWS,
      fdMax: 60,
    });
  });

  it('layer norm with a frozen weight: no gradient buffer for it', async () => {
    const x = randHost([5, 9], 740, 1.5);
    const w = randHost([9], 741, 0.3, 1);
    await gradCheck(d, {
      label: 'layerNorm frozen weight',
      inputs: [x, w],
      frozen: [1],
      gpu: ([t, tw]) => layerNorm(t, { weight: tw }),
      fwd: ([t, tw]) => ref.layerNorm(t, { weight: tw }),
      bwd: ([t, tw], g) => [ref.grad.layerNorm(t, g, { weight: tw }).dx, null],
      tol: ROWS,
    });
  });

  it('RMS norm', async () => {
    for (const [i, shape] of [
      [1, 7],
      [3, 33],
      [2, 4, 65],
    ].entries()) {
      const x = randHost(shape, 750 + i, 2);
      const w = randHost([shape[shape.length - 1]], 760 + i, 0.3, 1);
      await gradCheck(d, {
        label: `rmsNorm ${shape}`,
        inputs: [x, w],
        gpu: ([t, tw]) => rmsNorm(t, tw),
        fwd: ([t, tw]) => ref.rmsNorm(t, tw),
        bwd: ([t, tw], g) => {
          const r = ref.grad.rmsNorm(t, g, tw);
          return [r.dx, r.dweight];
        },
        tol: ROWS,
        fdMax: 120,
      });
      await gradCheck(d, {
        label: `rmsNorm no weight ${shape}`,
        inputs: [x],
        gpu: ([t]) => rmsNorm(t, undefined, 1e-5),
        fwd: ([t]) => ref.rmsNorm(t, undefined, 1e-5),
        bwd: ([t], g) => [ref.grad.rmsNorm(t, g, undefined, 1e-5).dx],
        tol: ROWS,
        fdMax: 120,
      });
    }
  });

  it('group norm over NCHW', async () => {
    const cases: [number[], number][] = [
      [[1, 4, 3, 3], 2],
      [[2, 6, 7, 5], 3],
      [[2, 8, 3, 1], 8],
    ];
    for (const [i, [shape, groups]] of cases.entries()) {
      const x = randHost(shape, 770 + i, 1.5, 0.3);
      const w = randHost([shape[1]], 780 + i, 0.3, 1);
      const b = randHost([shape[1]], 790 + i, 0.3);
      await gradCheck(d, {
        label: `groupNorm ${shape}/${groups}`,
        inputs: [x, w, b],
        gpu: ([t, tw, tb]) => groupNorm(t, groups, { weight: tw, bias: tb, eps: 1e-6 }),
        fwd: ([t, tw, tb]) => ref.groupNorm(t, groups, { weight: tw, bias: tb, eps: 1e-6 }),
        bwd: ([t, tw], g) => {
          const r = ref.grad.groupNorm(t, g, groups, { weight: tw, eps: 1e-6 });
          return [r.dx, r.dweight, r.dbias];
        },
        tol: ROWS,
        fdMax: 120,
      });
    }
  });
});

describe('matmul and linear', () => {
  it('every transpose combination, alpha and bias', async () => {
    for (const [i, [ta, tb]] of (
      [
        [false, false],
        [false, true],
        [true, false],
        [true, true],
      ] as const
    ).entries()) {
      const [M, K, N] = [7, 5, 33];
      const a = randHost(ta ? [K, M] : [M, K], 800 + i);
      const b = randHost(tb ? [N, K] : [K, N], 810 + i);
      const bias = randHost([N], 820 + i);
      const opts = { transposeA: ta, transposeB: tb, alpha: 0.7 };
      await gradCheck(d, {
        label: `matmul ta=${ta} tb=${tb}`,
        inputs: [a, b, bias],
        gpu: ([x, y, z]) => matmul(x, y, { ...opts, bias: z }),
        fwd: ([x, y, z]) => ref.matmul(x, y, { ...opts, bias: z }),
        bwd: ([x, y], g) => ref.grad.matmul(x, y, g, opts),
        tol: MM,
        fdMax: 100,
      });
    }
  });

  it('broadcast batch axes sum back', async () => {
    const cases: [number[], number[]][] = [
      [
        [2, 3, 5, 7],
        [7, 4],
      ],
      [
        [5, 7],
        [3, 7, 1],
      ],
      [
        [2, 1, 5, 7],
        [1, 3, 7, 6],
      ],
    ];
    for (const [i, [sa, sb]] of cases.entries())
      await gradCheck(d, {
        label: `matmul ${JSON.stringify(sa)}·${JSON.stringify(sb)}`,
        inputs: [randHost(sa, 830 + i), randHost(sb, 840 + i)],
        gpu: ([x, y]) => matmul(x, y),
        fwd: ([x, y]) => ref.matmul(x, y),
        bwd: ([x, y], g) => ref.grad.matmul(x, y, g).slice(0, 2),
        tol: MM,
        fdMax: 100,
      });
  });

  it('linear with bias, and with a frozen weight', async () => {
    const x = randHost([2, 5, 7], 850);
    const w = randHost([3, 7], 851, 0.5);
    const b = randHost([3], 852);
    await gradCheck(d, {
      label: 'linear',
      inputs: [x, w, b],
      gpu: ([t, tw, tb]) => linear(t, tw, tb),
      fwd: ([t, tw, tb]) => ref.linear(t, tw, tb),
      bwd: ([t, tw], g) => ref.grad.linear(t, tw, g),
      tol: MM,
    });
    await gradCheck(d, {
      label: 'linear frozen',
      inputs: [x, w],
      frozen: [1],
      gpu: ([t, tw]) => linear(t, tw),
      fwd: ([t, tw]) => ref.linear(t, tw),
      bwd: ([t, tw], g) => [ref.grad.linear(t, tw, g)[0], null],
      tol: MM,
    });
  });
});

describe('layout ops', () => {
  it('concat, slice and split', async () => {
    const a = randHost([2, 3, 5], 900);
    const b = randHost([2, 1, 5], 901);
    const c = randHost([2, 4, 5], 902);
    await gradCheck(d, {
      label: 'concat axis 1',
      inputs: [a, b, c],
      gpu: (xs) => concat(xs, 1),
      fwd: (xs) => ref.concat(xs, 1),
      bwd: (_, g) => ref.grad.concat(g, [3, 1, 4], 1),
      tol: EXACT,
    });
    await gradCheck(d, {
      label: 'slice',
      inputs: [randHost([3, 7, 2], 903)],
      gpu: ([x]) => slice(x, 1, 2, -1),
      fwd: ([x]) => ref.slice(x, 1, 2, -1),
      bwd: ([x], g) => [ref.grad.slice(g, x.shape, 1, 2)],
      tol: EXACT,
    });
    // split: use two of the three pieces (the unused one's gradient is zero)
    const x = randHost([4, 9], 904);
    await gradCheck(d, {
      label: 'split',
      inputs: [x],
      gpu: ([t]) => {
        const [p, , r] = split(t, [2, 3, 4], 1);
        return concat([r, p], 1);
      },
      fwd: ([t]) => ref.concat([ref.slice(t, 1, 5, 9), ref.slice(t, 1, 0, 2)], 1),
      bwd: ([t], g) => {
        const [gr, gp] = ref.grad.concat(g, [4, 2], 1);
        const out = ref.host(t.shape);
        const add = (src: ref.HostTensor, start: number) => {
          const full = ref.grad.slice(src, t.shape, 1, start);
          for (let i = 0; i < out.data.length; i++) out.data[i] += full.data[i];
        };
        add(gp, 0);
        add(gr, 5);
        return [out];
      },
      tol: EXACT,
    });
  });

  it('permute, transpose and reshape', async () => {
    const x = randHost([2, 3, 5, 7], 910);
    await gradCheck(d, {
      label: 'permute',
      inputs: [x],
      gpu: ([t]) => permute(t, [2, 0, 3, 1]),
      fwd: ([t]) => ref.permute(t, [2, 0, 3, 1]),
      bwd: (_, g) => [ref.grad.permute(g, [2, 0, 3, 1])],
      tol: EXACT,
    });
    await gradCheck(d, {
      label: 'transpose + reshape (function and method)',
      inputs: [x],
      gpu: ([t]) => transpose(reshape(t, [6, 35]).reshape([6, 5, 7]), 0, 2),
      fwd: ([t]) => ref.permute({ shape: [6, 5, 7], data: t.data }, [2, 1, 0]),
      bwd: (_, g) => [{ shape: [2, 3, 5, 7], data: ref.grad.permute(g, [2, 1, 0]).data }],
      tol: EXACT,
    });
  });

  it('indexSelect and gather: repeated indices add up, out-of-range ones contribute nothing', async () => {
    const table = randHost([6, 5], 920);
    const idx = [3, 0, 3, 5, 9, 3, -1];
    await gradCheck(d, {
      label: 'gather',
      inputs: [table],
      gpu: ([t]) => gather(t, tensor(d, idx, [7], 'i32')),
      fwd: ([t]) => ref.indexSelect(t, 0, ref.host([7], idx)),
      bwd: ([t], g) => [ref.grad.indexSelect(g, ref.host([7], idx), t.shape, 0)],
      tol: EXACT,
    });
    const x = randHost([2, 7, 3], 921);
    const idx2 = [6, 1, 1, 0];
    await gradCheck(d, {
      label: 'indexSelect axis 1, 2-D index',
      inputs: [x],
      gpu: ([t]) => indexSelect(t, 1, tensor(d, idx2, [2, 2], 'u32')),
      fwd: ([t]) => ref.indexSelect(t, 1, ref.host([2, 2], idx2)),
      bwd: ([t], g) => [ref.grad.indexSelect(g, ref.host([4], idx2), t.shape, 1)],
      tol: EXACT,
    });
  });

  it('upsampleNearest2x', async () => {
    await gradCheck(d, {
      label: 'upsample',
      inputs: [randHost([2, 3, 5, 7], 930)],
      gpu: ([t]) => upsampleNearest2x(t),
      fwd: ([t]) => ref.upsampleNearest2x(t),
      bwd: (_, g) => [ref.grad.upsampleNearest2x(g)],
      tol: EXACT,
      fdMax: 100,
    });
  });
});

describe('conv2d, attention, rope', () => {
  it('conv2d: input, weight and bias gradients with padding and stride', async () => {
    const cases: [number[], number[], number, number][] = [
      [[2, 3, 7, 5], [4, 3, 3, 3], 1, 1],
      [[1, 2, 9, 8], [3, 2, 3, 2], 1, 2],
      [[2, 3, 5, 5], [2, 3, 1, 1], 0, 1],
      [[1, 2, 6, 7], [2, 2, 4, 3], 2, 3],
    ];
    for (const [i, [xs, ws, padding, stride]] of cases.entries()) {
      const opts = { padding, stride };
      await gradCheck(d, {
        label: `conv2d x${JSON.stringify(xs)} w${JSON.stringify(ws)} pad ${padding} stride ${stride}`,
        inputs: [randHost(xs, 940 + i), randHost(ws, 950 + i, 0.5), randHost([ws[0]], 960 + i)],
        gpu: ([x, w, b]) => conv2d(x, w, { ...opts, bias: b }),
        fwd: ([x, w, b]) => ref.conv2d(x, w, { ...opts, bias: b }),
        bwd: ([x, w], g) => ref.grad.conv2d(x, w, g, opts),
        tol: MM,
        fdMax: 60,
      });
    }
  });

  it('scaled-dot-product attention with a mask, and with broadcast batch axes', async () => {
    const q = randHost([2, 5, 8], 970);
    const k = randHost([2, 7, 8], 971);
    const v = randHost([2, 7, 6], 972);
    const mask = randHost([5, 7], 973);
    await gradCheck(d, {
      label: 'attention masked',
      inputs: [q, k, v, mask],
      gpu: ([a, b, c, m]) => scaledDotProductAttention(a, b, c, { mask: m }),
      fwd: ([a, b, c, m]) => ref.scaledDotProductAttention(a, b, c, { mask: m }),
      bwd: ([a, b, c, m], g) => {
        const r = ref.grad.scaledDotProductAttention(a, b, c, g, { mask: m });
        return [r.dq, r.dk, r.dv, r.dmask];
      },
      tol: MM,
      fdMax: 60,
    });
    // heads share keys/values: k, v [1, 7, 8] broadcast over q [3, 5, 8]; explicit scale
    await gradCheck(d, {
      label: 'attention broadcast',
      inputs: [randHost([3, 5, 8], 974), randHost([1, 7, 8], 975), randHost([1, 7, 8], 976)],
      gpu: ([a, b, c]) => scaledDotProductAttention(a, b, c, { scale: 0.5 }),
      fwd: ([a, b, c]) => ref.scaledDotProductAttention(a, b, c, { scale: 0.5 }),
      bwd: ([a, b, c], g) => {
        const r = ref.grad.scaledDotProductAttention(a, b, c, g, { scale: 0.5 });
        return [r.dq, r.dk, r.dv];
      },
      tol: MM,
      fdMax: 60,
    });
  });

  it('rope: x and pe gradients', async () => {
    const [B, H, L, D] = [2, 3, 5, 8];
    const theta = Array.from({ length: L * (D / 2) }, (_, i) => 0.37 * i + 0.1);
    const pe = ref.host(
      [L, D / 2, 2, 2],
      theta.flatMap((t) => [Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t)].map(Math.fround)),
    );
    await gradCheck(d, {
      label: 'rope',
      inputs: [randHost([B, H, L, D], 980), pe],
      gpu: ([x, p]) => rope(x, p),
      fwd: ([x, p]) => ref.rope(x, p),
      bwd: ([x, p], g) => ref.grad.rope(x, p, g),
      tol: MM,
    });
  });

  it('a chain: attention over normed, rotated projections', async () => {
    // x → layerNorm → linear → q, k, v (split) → rope(q), rope(k) → attention → · x
    const [L, D] = [5, 8];
    const theta = Array.from({ length: L * (D / 2) }, (_, i) => 0.21 * i);
    const pe = ref.host(
      [L, D / 2, 2, 2],
      theta.flatMap((t) => [Math.cos(t), -Math.sin(t), Math.sin(t), Math.cos(t)].map(Math.fround)),
    );
    const x = randHost([L, D], 990);
    const w = randHost([3 * D, D], 991, 0.4);
    const fwdRef = ([hx, hw]: ref.HostTensor[]) => {
      const h = ref.linear(ref.layerNorm(hx), hw);
      const [q, k, v] = [0, 1, 2].map((i) => ref.slice(h, 1, i * D, (i + 1) * D));
      const o = ref.scaledDotProductAttention(ref.rope(q, pe), ref.rope(k, pe), v);
      return ref.binary('mul', o, hx);
    };
    // the reference backward of the chain is its finite differences' job here: compare GPU to the
    // central differences of the float64 forward directly
    const fdGrad = (hs: ref.HostTensor[], g: ref.HostTensor) =>
      hs.map((h, i) => {
        const out = ref.host(h.shape);
        for (let e = 0; e < h.data.length; e++) {
          const loss = (delta: number) => {
            const xs = hs.map((y) => ({ shape: y.shape, data: y.data.slice() }));
            xs[i].data[e] += delta;
            const o = fwdRef(xs);
            return o.data.reduce((s, v, j) => s + v * g.data[j], 0);
          };
          out.data[e] = (loss(1e-6) - loss(-1e-6)) / 2e-6;
        }
        return out;
      });
    await gradCheck(d, {
      label: 'chain',
      inputs: [x, w],
      gpu: ([tx, tw]) => {
        const h = linear(layerNorm(tx), tw);
        const [q, k, v] = split(h, 3, 1);
        const tpe = tensor(d, pe.data, pe.shape);
        return mul(scaledDotProductAttention(rope(q, tpe), rope(k, tpe), v), tx);
      },
      fwd: fwdRef,
      bwd: fdGrad,
      tol: { atol: 1e-4, rtol: 1e-3 },
      noFd: true,
    });
  });
});
