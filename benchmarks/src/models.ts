// Model forwards per second, full vs CLEAR: FLUX-tiny (the golden config, random weights) at a few
// latent sizes, and a DiT-S-like config. Weights are random (seeded); speed does not depend on values.
import { type Device, randn } from '@cleardit/tensor';
import { FluxTransformer, DitTransformer, Weights, FLUX_PRESETS, fluxKeys, ditKeys, imageIds, type AttentionMode, type DitConfig } from '@cleardit/models';
import { medianMs, table, save } from './harness.js';

function randomWeights(device: Device, keys: Map<string, number[]>, name: string): Weights {
  const w = new Weights(name);
  let seed = 1;
  for (const [k, shape] of keys) {
    const t = randn(device, shape, seed++);
    w.set(k, t);
  }
  return w;
}

const MODES: [string, AttentionMode][] = [
  ['full', { kind: 'full' }],
  ['CLEAR r=4', { kind: 'clear', radius: 4 }],
];

export async function benchModels(device: Device, grids = [16, 32, 48]): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const fc = FLUX_PRESETS['flux-tiny'];
  const flux = new FluxTransformer(device, fc, randomWeights(device, fluxKeys(fc), 'flux-tiny'));
  for (const g of grids) {
    const N = g * g;
    const T = 32;
    const img = randn(device, [1, N, fc.inChannels], 1);
    const txt = randn(device, [1, T, fc.contextInDim], 2);
    const y = randn(device, [1, fc.vecInDim], 3);
    const ids = imageIds(g, g);
    const row: Record<string, string | number> = { model: 'flux-tiny', tokens: `${T}+${g}×${g}` };
    for (const [name, mode] of MODES) {
      flux.setAttention(mode);
      const { median } = await medianMs(device, () => void flux.forward({ img, imgIds: ids, txt, timesteps: [0.5], y, guidance: [3.5] }).dispose(), {
        reps: 5,
        budgetMs: 20_000,
      });
      row[`${name} ms`] = median.toFixed(1);
      row[`${name} fwd/s`] = (1000 / median).toFixed(2);
    }
    rows.push(row);
    for (const t of [img, txt, y]) t.dispose();
  }
  flux.dispose();
  const dc: DitConfig = {
    inputSize: 32,
    patchSize: 2,
    inChannels: 4,
    hiddenSize: 384,
    depth: 12,
    numHeads: 6,
    mlpRatio: 4,
    numClasses: 1000,
    learnSigma: true,
  };
  const dit = new DitTransformer(device, dc, randomWeights(device, ditKeys(dc), 'dit-s-2'));
  const x = randn(device, [1, 4, 32, 32], 4);
  const row: Record<string, string | number> = { model: 'DiT-S/2 (256²)', tokens: '0+16×16' };
  for (const [name, mode] of MODES) {
    dit.setAttention(mode);
    const { median } = await medianMs(device, () => void dit.forward(x, [500], [3]).dispose(), { reps: 5, budgetMs: 20_000 });
    row[`${name} ms`] = median.toFixed(1);
    row[`${name} fwd/s`] = (1000 / median).toFixed(2);
  }
  rows.push(row);
  dit.dispose();
  console.log(`\nmodel forwards on ${device.adapter.name} — ${device.adapter.description}`);
  console.log(table(rows));
  save('models', { adapter: device.adapter, rows });
}
