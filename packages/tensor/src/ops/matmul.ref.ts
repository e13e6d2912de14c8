// Plain float64 reference for matmul.ts (and linear).
import { broadcastShapes, numel, stridesOf } from '../shape.js';
import { host, type HostTensor } from './host.js';

export function matmul(a: HostTensor, b: HostTensor, opts: { transposeA?: boolean; transposeB?: boolean; bias?: HostTensor; alpha?: number } = {}): HostTensor {
  const ta = !!opts.transposeA;
  const tb = !!opts.transposeB;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = a.shape[ra - (ta ? 1 : 2)];
  const K = a.shape[ra - (ta ? 2 : 1)];
  const N = b.shape[rb - (tb ? 2 : 1)];
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', aBatch, bBatch);
  const out = host([...batch, M, N]);
  const os = stridesOf(batch);
  const offset = (sub: number[], z: number, mat: number) => {
    const off = batch.length - sub.length;
    const ss = stridesOf(sub);
    let o = 0;
    for (let d = off; d < batch.length; d++) if (sub[d - off] !== 1) o += (Math.floor(z / os[d]) % batch[d]) * ss[d - off];
    return o * mat;
  };
  const alpha = opts.alpha ?? 1;
  for (let z = 0; z < numel(batch); z++) {
    const ao = offset(aBatch, z, M * K);
    const bo = offset(bBatch, z, K * N);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += a.data[ao + (ta ? k * M + m : m * K + k)] * b.data[bo + (tb ? n * K + k : k * N + n)];
        out.data[(z * M + m) * N + n] = alpha * acc + (opts.bias?.data[n] ?? 0);
      }
  }
  return out;
}

export function linear(x: HostTensor, weight: HostTensor, bias?: HostTensor): HostTensor {
  const inF = weight.shape[1];
  const rows = x.data.length / inF;
  const y = matmul({ shape: [rows, inF], data: x.data }, weight, { transposeB: true, bias });
  return { shape: [...x.shape.slice(0, -1), weight.shape[0]], data: y.data };
}
