// Every unary op, declared once: its forward as WGSL over `x: f32`, its float64 reference, and its
// derivative both ways (WGSL over `x` and the output gradient `g`; float64 d/dx). The forward kernel
// (elementwise.ts), the backward kernel (elementwise.grad.ts), the references (elementwise.ref.ts,
// elementwise.grad.ref.ts) and the op's public name (autograd/elementwise.ts) all read this table, so
// adding an op is one entry here, its one-line public and raw functions, and its test (docs/architecture.md, "How to add").
// WGSL helpers (tanh_safe, sin_acc, cos_acc, erf_approx) are in elementwise-wgsl.ts's PRELUDE; `fns` holds
// an op's own WGSL functions.
import { erf } from './erf.js';

export interface UnaryDef {
  /** Forward, WGSL over `x`. */
  wgsl: string;
  /** d/dx times g, WGSL over `x` and `g`. */
  grad: string;
  /** WGSL functions the expressions call (beyond PRELUDE's). */
  fns?: string;
  /** Forward, float64. */
  ref: (x: number) => number;
  /** d/dx, float64. */
  derivative: (x: number) => number;
}

const SQRT_2_PI = Math.sqrt(2 / Math.PI);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const UNARY_OPS = {
  neg: { wgsl: '-x', grad: '-g', ref: (x) => -x, derivative: () => -1 },
  exp: { wgsl: 'exp(x)', grad: 'g * exp(x)', ref: Math.exp, derivative: Math.exp },
  log: { wgsl: 'log(x)', grad: 'g / x', ref: Math.log, derivative: (x) => 1 / x },
  sqrt: { wgsl: 'sqrt(x)', grad: 'g * 0.5 * inverseSqrt(x)', ref: Math.sqrt, derivative: (x) => 0.5 / Math.sqrt(x) },
  rsqrt: { wgsl: 'inverseSqrt(x)', grad: 'g * -0.5 * inverseSqrt(x) / x', ref: (x) => 1 / Math.sqrt(x), derivative: (x) => -0.5 * x ** -1.5 },
  tanh: {
    wgsl: 'tanh_safe(x)',
    grad: 'dtanh(x, g)',
    fns: 'fn dtanh(x: f32, g: f32) -> f32 { let t = tanh_safe(x); return g * (1.0 - t * t); }',
    ref: Math.tanh,
    derivative: (x) => 1 - Math.tanh(x) ** 2,
  },
  sin: { wgsl: 'sin_acc(x)', grad: 'g * cos_acc(x)', ref: Math.sin, derivative: Math.cos },
  cos: { wgsl: 'cos_acc(x)', grad: '-g * sin_acc(x)', ref: Math.cos, derivative: (x) => -Math.sin(x) },
  abs: { wgsl: 'abs(x)', grad: 'g * sign(x)', ref: Math.abs, derivative: Math.sign },
  silu: {
    wgsl: 'x / (1.0 + exp(-x))',
    grad: 'dsilu(x, g)',
    fns: 'fn dsilu(x: f32, g: f32) -> f32 { let s = 1.0 / (1.0 + exp(-x)); return g * s * (1.0 + x * (1.0 - s)); }',
    ref: (x) => x * sigmoid(x),
    derivative: (x) => sigmoid(x) * (1 + x * (1 - sigmoid(x))),
  },
  sigmoid: {
    wgsl: '1.0 / (1.0 + exp(-x))',
    grad: 'dsigmoid(x, g)',
    fns: 'fn dsigmoid(x: f32, g: f32) -> f32 { let s = 1.0 / (1.0 + exp(-x)); return g * s * (1.0 - s); }',
    ref: sigmoid,
    derivative: (x) => sigmoid(x) * (1 - sigmoid(x)),
  },
  square: { wgsl: 'x * x', grad: '2.0 * x * g', ref: (x) => x * x, derivative: (x) => 2 * x },
  gelu_tanh: {
    wgsl: '0.5 * x * (1.0 + tanh_safe(0.7978845608028654 * (x + 0.044715 * x * x * x)))',
    grad: 'dgelu_tanh(x, g)',
    fns: `fn dgelu_tanh(x: f32, g: f32) -> f32 {
  let c = 0.7978845608028654;
  let t = tanh_safe(c * (x + 0.044715 * x * x * x));
  return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 0.134145 * x * x));
}`,
    ref: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_PI * (x + 0.044715 * x ** 3))),
    derivative: (x) => {
      const t = Math.tanh(SQRT_2_PI * (x + 0.044715 * x ** 3));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_PI * (1 + 3 * 0.044715 * x * x);
    },
  },
  gelu_erf: {
    wgsl: '0.5 * x * (1.0 + erf_approx(x * 0.7071067811865476))',
    grad: 'dgelu_erf(x, g)',
    fns: `fn dgelu_erf(x: f32, g: f32) -> f32 {
  return g * (0.5 * (1.0 + erf_approx(x * 0.7071067811865476)) + x * 0.3989422804014327 * exp(-0.5 * x * x));
}`,
    ref: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
    derivative: (x) => 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
  },
  // softplus(x) = log(1 + eˣ), as max(x, 0) + log(1 + e^−|x|) so that neither side overflows; d/dx = sigmoid(x)
  softplus: {
    wgsl: 'max(x, 0.0) + log(1.0 + exp(-abs(x)))',
    grad: 'g / (1.0 + exp(-x))',
    ref: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
    derivative: sigmoid,
  },
} satisfies Record<string, UnaryDef>;

export type UnaryOp = keyof typeof UNARY_OPS;

/** Every unary op's name, in table order. */
export const UNARY_OP_NAMES = Object.keys(UNARY_OPS) as UnaryOp[];

/** The WGSL functions every unary backward may call (one string: the backward kernel is keyed by expression). */
export const UNARY_GRAD_FNS = Object.values(UNARY_OPS as Record<string, UnaryDef>)
  .map((d) => d.fns ?? '')
  .filter(Boolean)
  .join('\n');
