// Fresh DiT weights, as facebookresearch/DiT's initialize_weights does: Xavier-uniform Linear and
// patch-embedding weights with zero biases, N(0, 0.02) timestep-MLP weights and class table, and the
// adaLN-Zero part at zero — every block's modulation and the final layer's modulation and projection —
// so each block starts as the identity. Seeded (host Philox): the same seed gives the same weights
// everywhere. Every tensor is f32 and trainable.
import { type Device, tensor, normalValues, uniformValues } from '@cleardit/tensor';
import { type DitConfig, ditKeys } from './config.js';
import { Weights } from '../weights.js';

function initial(name: string, shape: number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const zero = name.endsWith('.bias') || /\.norm1\.linear\.|^proj_out_/.test(name);
  if (zero) return new Float32Array(n);
  if (/timestep_embedder|embedding_table/.test(name)) return normalValues(seed, n).map((v) => 0.02 * v);
  // Xavier uniform over (fan_in, fan_out) of the weight viewed as [out, in·kh·kw]
  const fanOut = shape[0];
  const fanIn = n / fanOut;
  const a = Math.sqrt(6 / (fanIn + fanOut));
  return uniformValues(seed, n).map((u) => (2 * u - 1) * a);
}

/** DiT weights for `config` under the diffusers names the forward reads, from `seed`. */
export function initDitWeights(device: Device, config: DitConfig, seed: number): Weights {
  const w = new Weights('dit');
  let k = 0;
  for (const [name, shape] of ditKeys(config)) w.set(name, tensor(device, initial(name, shape, seed * 1000 + k++), shape).requireGrad());
  return w;
}
