// Forward + backward of the single ops a DiT training step spends its time in, at the train-dit
// shape (batch 32 × 256 tokens, width 64, 4 heads of 16): each timed as one op and its backward,
// ending in a GPU sync, median of several runs after a warm-up (so compiles are not counted).
import {
  type Device,
  type Tensor,
  tensor,
  normalValues,
  layerNorm,
  linear,
  add,
  mul,
  addScalar,
  sumAll,
  backward,
  geluTanh,
  silu,
  permute,
  modulate,
  addMul,
} from '@cleardit/tensor';
import { attention, fullPlan, uploadPlan } from '@cleardit/attention';
import { medianMs, table, save } from './harness.js';

const B = 32;
const L = 256;
const D = 64;
const H = 4;

function randomT(d: Device, shape: number[], seed: number, grad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = tensor(d, normalValues(seed, n), shape).keep();
  return grad ? t.requireGrad() : t;
}

export async function benchOps(device: Device): Promise<void> {
  const x = randomT(device, [B, L, D], 1);
  const shift = randomT(device, [B, 1, D], 2);
  const scale = randomT(device, [B, 1, D], 3);
  const w64 = randomT(device, [D, D], 4);
  const b64 = randomT(device, [D], 5);
  const w256 = randomT(device, [4 * D, D], 6);
  const b256 = randomT(device, [4 * D], 7);
  const x256 = randomT(device, [B, L, 4 * D], 8);
  const w256t = randomT(device, [D, 4 * D], 9);
  const q = randomT(device, [B, H, L, D / H], 10);
  const k = randomT(device, [B, H, L, D / H], 11);
  const v = randomT(device, [B, H, L, D / H], 12);
  const plan = uploadPlan(device, fullPlan(L));
  const cases: [string, () => Tensor][] = [
    ['layerNorm [32,256,64]', () => layerNorm(x, { eps: 1e-6 })],
    ['adaLN modulate, composed (norm, ·(1+scale), +shift)', () => add(mul(layerNorm(x, { eps: 1e-6 }), addScalar(scale, 1)), shift)],
    ['adaLN modulate, fused (modulate)', () => modulate(x, shift, scale, 1e-6)],
    ['linear 8192×64 → 64', () => linear(x, w64, b64)],
    ['linear 8192×64 → 256', () => linear(x, w256, b256)],
    ['linear 8192×256 → 64', () => linear(x256, w256t, b64)],
    ['gelu_tanh [32,256,256]', () => geluTanh(x256)],
    ['silu [32,256,64]', () => silu(x)],
    ['residual + gate, composed (add, mul)', () => add(x, mul(shift, x))],
    ['residual + gate, fused (addMul)', () => addMul(x, shift, x)],
    ['permute [32,256,4,16] → heads', () => permute(x.reshape([B, L, H, D / H]), [0, 2, 1, 3])],
    ['full attention [32,4,256,16]', () => attention(plan, q, k, v)],
  ];
  const rows: Record<string, string | number>[] = [];
  for (const [name, f] of cases) {
    const fwd = await medianMs(device, () => device.scope(() => void f()), { warmup: 2, reps: 9, budgetMs: 8000 });
    const fb = await medianMs(device, () => device.scope(() => backward(sumAll(f()))), { warmup: 2, reps: 9, budgetMs: 8000 });
    rows.push({ op: name, 'forward ms': fwd.median.toFixed(2), 'fwd+bwd ms': fb.median.toFixed(2) });
  }
  console.log(`\nops at the train-dit shape (batch ${B} × ${L} tokens, width ${D}, ${H} heads), on ${device.adapter.name} — ${device.adapter.description}`);
  console.log(table(rows));
  save('ops', { adapter: device.adapter, rows });
}
