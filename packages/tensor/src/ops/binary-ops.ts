// Every binary op, declared once: its forward as WGSL over the operands `a` and `b` (f32, broadcast to
// the output), its float64 reference, and each operand's gradient both ways (WGSL over `a`, `b` and the
// output gradient `g`; float64 partials). The forward kernel (elementwise.ts), the backward kernels
// (elementwise.grad.ts: summed back over broadcast axes), both references and the op's public name
// (autograd/elementwise.ts) read this table: adding a binary op is one entry here, its one-line public and raw
// functions, and its test (docs/architecture.md, "How to add").

export interface BinaryDef {
  /** Forward, WGSL over `a` and `b`. */
  wgsl: string;
  /** [∂/∂a, ∂/∂b] times g, WGSL over `a`, `b` and `g`; exactly 'g' is a plain sum back to the operand. */
  grad: readonly [string, string];
  /** Forward, float64. */
  ref: (a: number, b: number) => number;
  /** [∂/∂a, ∂/∂b] times g, float64. */
  partials: (a: number, b: number, g: number) => [number, number];
}

// maximum and minimum split the gradient evenly at ties (as PyTorch's do)
const tie = (g: number): [number, number] => [g / 2, g / 2];

export const BINARY_OPS = {
  add: { wgsl: 'a + b', grad: ['g', 'g'], ref: (a, b) => a + b, partials: (_a, _b, g) => [g, g] },
  sub: { wgsl: 'a - b', grad: ['g', '-g'], ref: (a, b) => a - b, partials: (_a, _b, g) => [g, -g] },
  mul: { wgsl: 'a * b', grad: ['g * b', 'g * a'], ref: (a, b) => a * b, partials: (a, b, g) => [g * b, g * a] },
  div: { wgsl: 'a / b', grad: ['g / b', '-g * a / (b * b)'], ref: (a, b) => a / b, partials: (a, b, g) => [g / b, (-g * a) / (b * b)] },
  maximum: {
    wgsl: 'max(a, b)',
    grad: ['select(select(0.0, 0.5 * g, a == b), g, a > b)', 'select(select(0.0, 0.5 * g, a == b), g, b > a)'],
    ref: Math.max,
    partials: (a, b, g) => (a === b ? tie(g) : a > b ? [g, 0] : [0, g]),
  },
  minimum: {
    wgsl: 'min(a, b)',
    grad: ['select(select(0.0, 0.5 * g, a == b), g, a < b)', 'select(select(0.0, 0.5 * g, a == b), g, b < a)'],
    ref: Math.min,
    partials: (a, b, g) => (a === b ? tie(g) : a < b ? [g, 0] : [0, g]),
  },
} satisfies Record<string, BinaryDef>;

export type BinaryOp = keyof typeof BINARY_OPS;

/** Every binary op's name, in table order. */
export const BINARY_OP_NAMES = Object.keys(BINARY_OPS) as BinaryOp[];

/** Whether the op's gradient expressions read an operand's values (else backward needs only the shapes). */
export const gradReadsOperands = (op: BinaryOp): boolean => BINARY_OPS[op].grad.some((e) => /\b[ab]\b/.test(e));
