// cleardit benchmarks: `pnpm bench [name...] [--adapter NAME]`. Names: matmul (default: all).
import { createDevice } from '@cleardit/tensor/node';
import { benchMatmul } from './matmul.js';

const args = process.argv.slice(2);
const at = args.indexOf('--adapter');
const adapter = at >= 0 ? args.splice(at, 2)[1] : undefined;
const names = args.length ? args : ['matmul'];
const device = await createDevice({ adapter });
console.log(`adapter: ${device.adapter.name} (${device.adapter.backend}) — ${device.adapter.reason}`);
const all: Record<string, () => Promise<void>> = { matmul: () => benchMatmul(device) };
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
