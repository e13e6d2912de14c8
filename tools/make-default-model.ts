// Writes the default model `cleardit generate` uses when no --model is given: a tiny class-conditional
// DiT and a tiny SD-style VAE decoder with seeded random (UNTRAINED) weights, so the command works on a
// fresh clone with no download. Their images are valid PNGs of the requested size, not pictures of
// anything. A trained default (a teacher and its distilled CLEAR student) is planned separately.
// Run: node tools/tsrun.mjs tools/make-default-model.ts  (deterministic: same bytes every time)
import { normalValues, type SafetensorsDType } from '@cleardit/tensor';
import { writeSafetensorsFile } from '@cleardit/tensor/node';
import { ditKeys, vaeKeys, type DitConfig, type VaeConfig } from '@cleardit/models';

const DIT: DitConfig = { inputSize: 32, patchSize: 2, inChannels: 4, hiddenSize: 64, depth: 2, numHeads: 4, mlpRatio: 4, numClasses: 10, learnSigma: true };
const VAE: VaeConfig = { latentChannels: 4, outChannels: 3, blockOutChannels: [32, 32, 64, 64], layersPerBlock: 1, groups: 32, eps: 1e-6, scalingFactor: 0.18215, shiftFactor: 0, postQuantConv: true };

function randomTensors(keys: Map<string, number[]>, seed: number) {
  const out: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array }> = {};
  let s = seed;
  for (const [k, shape] of keys) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = /norm|group_norm/.test(k) && shape.length === 1;
    let data: Float32Array;
    if (k.endsWith('.bias')) data = new Float32Array(n);
    else if (isNorm) data = new Float32Array(n).fill(1);
    else {
      const fanIn = shape.slice(1).reduce((a, b) => a * b, 1) || 1;
      const std = k.includes('embedding_table') ? 1 : 1 / Math.sqrt(fanIn);
      data = normalValues(s, n).map((v) => v * std);
    }
    s++;
    out[k] = { dtype: 'F32', shape, data };
  }
  return out;
}

const note = 'UNTRAINED: seeded random weights written by tools/make-default-model.ts so that cleardit generate runs with no download. Its images are noise, not pictures.';
await writeSafetensorsFile('apps/cli/models/dit-tiny-untrained.safetensors', randomTensors(ditKeys(DIT), 1), {
  config: JSON.stringify({ input_size: DIT.inputSize, patch_size: 2, in_channels: 4, hidden_size: 64, depth: 2, num_heads: 4, mlp_ratio: 4, num_classes: 10, learn_sigma: true }),
  untrained: 'true',
  note,
}, { overwrite: true });
await writeSafetensorsFile('apps/cli/models/sd-vae-tiny-untrained.safetensors', randomTensors(vaeKeys(VAE), 1000), { untrained: 'true', note }, { overwrite: true });
console.log('wrote apps/cli/models/{dit-tiny-untrained,sd-vae-tiny-untrained}.safetensors');
