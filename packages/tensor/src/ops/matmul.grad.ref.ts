// Plain float64 references for matmul.grad.ts, by direct loops (independent of the composition the
// GPU backward uses).
import { broadcastShapes, numel, stridesOf } from '../shape.js';
import { host, type HostTensor } from './host.js';
import { sumToShape } from './elementwise.grad.ref.js';

/** [dA, dB, dbias] of matmul(a, b, opts) against g. */
export function matmul(
  a: HostTensor,
  b: HostTensor,
  g: HostTensor,
  opts: { transposeA?: boolean; transposeB?: boolean; alpha?: number } = {},
): [HostTensor, HostTensor, HostTensor] {
  const ta = !!opts.transposeA;
  const tb = !!opts.transposeB;
  const alpha = opts.alpha ?? 1;
  const M = a.shape[a.shape.length - (ta ? 1 : 2)];
  const K = a.shape[a.shape.length - (ta ? 2 : 1)];
  const N = b.shape[b.shape.length - (tb ? 2 : 1)];
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', aBatch, bBatch);
  const Z = numel(batch);
  const os = stridesOf(batch);
  const offset = (sub: number[], z: number) => {
    const off = batch.length - sub.length;
    const ss = stridesOf(sub);
    let o = 0;
    for (let d = off; d < batch.length; d++) if (sub[d - off] !== 1) o += (Math.floor(z / os[d]) % batch[d]) * ss[d - off];
    return o;
  };
  // gradients at the broadcast batch shape, summed back afterwards
  const daFull = host([...batch, ...a.shape.slice(-2)]);
  const dbFull = host([...batch, ...b.shape.slice(-2)]);
  const dbias = host([N]);
  for (let z = 0; z < Z; z++) {
    const ao = offset(aBatch, z) * M * K;
    const bo = offset(bBatch, z) * K * N;
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        const gv = g.data[(z * M + m) * N + n];
        dbias.data[n] += gv;
        for (let k = 0; k < K; k++) {
          const ia = ta ? k * M + m : m * K + k;
          const ib = tb ? n * K + k : k * N + n;
          daFull.data[z * M * K + ia] += alpha * gv * b.data[bo + ib];
          dbFull.data[z * K * N + ib] += alpha * gv * a.data[ao + ia];
        }
      }
  }
  return [sumToShape(daFull, a.shape), sumToShape(dbFull, b.shape), dbias];
}

/** [dx, dweight, dbias] of linear(x, weight [out, in], bias) against g [..., out]. */
export function linear(x: HostTensor, weight: HostTensor, g: HostTensor): [HostTensor, HostTensor, HostTensor] {
  const [outF, inF] = weight.shape;
  const rows = x.data.length / inF;
  const [dx, dw, db] = matmul({ shape: [rows, inF], data: x.data }, weight, { shape: [rows, outF], data: g.data }, { transposeB: true });
  return [{ shape: [...x.shape], data: dx.data }, dw, db];
}
