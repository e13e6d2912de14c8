// cleardit benchmarks: `pnpm bench [name...] [--adapter NAME] [--grids 16,32] [--heads 24] [--radius 16]`.
// Names: matmul, attention, models, train, train-dit, ops (default: all).
import { createDevice } from '@cleardit/tensor/node';
import { benchMatmul } from './matmul.js';
import { benchAttention } from './attention.js';
import { benchModels } from './models.js';
import { benchTrain } from './train.js';
import { benchTrainDit } from './train-dit.js';
import { benchOps } from './ops.js';

const args = process.argv.slice(2);
const at = args.indexOf('--adapter');
const adapter = at >= 0 ? args.splice(at, 2)[1] : undefined;
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const grids = flag('--grids')?.split(',').map(Number);
const heads = Number(flag('--heads') ?? 24);
const radius = Number(flag('--radius') ?? 16);
const widths = flag('--widths')?.split(',').map(Number);
const steps = flag('--steps');
const names = args.length ? args : ['matmul', 'attention', 'models', 'train', 'train-dit', 'ops'];
const device = await createDevice({ adapter });
console.log(`adapter: ${device.adapter.name} (${device.adapter.backend}) — ${device.adapter.reason}`);
const all: Record<string, () => Promise<void>> = {
  matmul: () => benchMatmul(device),
  attention: () => benchAttention(device, { grids, heads, radius }),
  models: () => benchModels(device, grids),
  train: () => benchTrain(device),
  'train-dit': () => benchTrainDit(device, { widths, steps: steps ? Number(steps) : undefined }),
  ops: () => benchOps(device),
};
for (const n of names) {
  const run = all[n];
  if (!run) {
    console.error(`unknown benchmark '${n}'; known: ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  await run();
}
device.destroy();
process.exit(0);
