// Backward of matmul and linear, composed exactly from matmuls with transposes (so it runs on the same
// per-adapter kernels as the forward) and the broadcasting reduce for broadcast batch axes and the bias.
//   C = α·op(A)·op(B) + bias:  dop(A) = α·G·op(B)ᵀ,  dop(B) = α·op(A)ᵀ·G,  dbias = Σ_rows G
// with the transposes folded into the matmul flags. Reference: matmul.grad.ref.ts.
// A packed 16-bit B (a frozen f16/bf16 weight) has no gradient, and stays the B operand of dA's matmul
// (only B may be packed): linear's dx = G·W reads W [out, in] untransposed, the [K,N] packed path.

import type { Tensor } from '../tensor.js';
import { matmul, type MatmulOptions } from './matmul.js';
import { transpose } from './layout.js';
import { sumToShape } from './elementwise.grad.js';

export interface MatmulGrads {
  da?: Tensor;
  db?: Tensor;
  dbias?: Tensor;
}

export interface GradsWanted {
  a?: boolean;
  b?: boolean;
  bias?: boolean;
}

function reduced(full: Tensor, shape: readonly number[]): Tensor {
  if (full.rank === shape.length && full.shape.every((d, i) => d === shape[i])) return full;
  const r = sumToShape(full, shape);
  full.dispose();
  return r;
}

/** Gradients of matmul(a, b, opts) given the output's gradient g (shape [...batch, M, N]). */
export function matmulBackward(a: Tensor, b: Tensor, g: Tensor, opts: MatmulOptions, want: GradsWanted): MatmulGrads {
  const ta = !!opts.transposeA;
  const tb = !!opts.transposeB;
  const alpha = opts.alpha ?? 1;
  const out: MatmulGrads = {};
  if (want.a) {
    // A stored [M,K] (or [K,M] when ta)
    let full: Tensor;
    if (!ta) full = matmul(g, b, { transposeB: !tb, alpha });
    else if (b.dtype === 'f32') full = matmul(b, g, { transposeA: tb, transposeB: true, alpha });
    else {
      // op(B)·Gᵀ would put the packed B first: compute (G·op(B)ᵀ)ᵀ instead
      const t = matmul(g, b, { transposeB: !tb, alpha });
      full = transpose(t);
      t.dispose();
    }
    out.da = reduced(full, a.shape);
  }
  if (want.b) {
    const full = !tb ? matmul(a, g, { transposeA: !ta, alpha }) : matmul(g, a, { transposeA: true, transposeB: ta, alpha });
    out.db = reduced(full, b.shape);
  }
  if (want.bias && opts.bias) {
    const n = g.shape[g.rank - 1];
    const s = sumToShape(g, [n]);
    out.dbias = s.reshape(opts.bias.shape);
    s.dispose();
  }
  return out;
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
    const dx = matmul(g2, weight);
    res.dx = dx.reshape(x.shape);
    dx.dispose();
  }
  if (want.weight) {
    const x2 = x.reshape([rows, inF]);
    res.dweight = matmul(g2, x2, { transposeA: true });
    x2.dispose();
  }
  if (want.bias) res.dbias = sumToShape(g2, [outF]);
  g2.dispose();
  return res;
}
