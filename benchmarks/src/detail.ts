// `pnpm bench detail NAME`: the single-purpose benchmarks of the kernels issue, each printing its
// own table (and writing $OUT/NAME.json when OUT is set): single ops forward and backward, a
// one-block transformer's training step, and the DiT training step with its cold first step per width.
import { createDevice } from '@cleardit/tensor/node';
import { benchOps } from './ops.js';
import { benchTrain } from './train.js';
import { benchTrainDit } from './train-dit.js';
import type { Device } from '@cleardit/tensor';

export const DETAILS: Record<string, (device: Device) => Promise<void>> = {
  ops: (d) => benchOps(d),
  train: (d) => benchTrain(d),
  'train-dit': (d) => benchTrainDit(d),
};

export async function runDetail(names: string[], adapter?: string): Promise<void> {
  if (!names.length) throw new Error(`name a detail benchmark: ${Object.keys(DETAILS).join(', ')}`);
  for (const n of names) if (!DETAILS[n]) throw new Error(`unknown detail benchmark '${n}'; known: ${Object.keys(DETAILS).join(', ')}`);
  const device = await createDevice({ adapter });
  console.log(`adapter: ${device.adapter.name} (${device.adapter.backend}) — ${device.adapter.reason}`);
  for (const n of names) await DETAILS[n](device);
  device.destroy();
}
