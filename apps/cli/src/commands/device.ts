// `cleardit device`: which WebGPU adapters exist here, which one cleardit picks and why, and what it
// can do (limits, shader-f16, subgroups, timestamp-query). --json prints the same as one object.
import type { Command } from 'commander';
import { createDevice, probeAdapters } from '@cleardit/tensor/node';
import { fmtBytes } from '@cleardit/tensor';

const KEY_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];
const KEY_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];

export function deviceCommand(program: Command): void {
  program
    .command('device')
    .description('list the WebGPU adapters found, the one chosen and why, and its limits and features')
    .option('--json', 'print one JSON object instead of a table')
    .addHelpText(
      'after',
      `
Adapters are tried in this order unless --adapter (or CLEARDIT_ADAPTER) names one:
  hardware     a GPU through Vulkan (Metal/D3D12 on macOS/Windows)
  llvmpipe     Mesa's CPU renderer through Dawn's OpenGL backend (fastest without a GPU)
  swiftshader  Google's CPU Vulkan driver, from Debian's chromium package
Any other --adapter text is matched against the adapter's name and description.

Examples:
  cleardit device
  cleardit device --adapter swiftshader --json`,
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const adapter: string | undefined = cmd.optsWithGlobals().adapter;
      const probes = await probeAdapters();
      const device = await createDevice({ adapter });
      const limits: Record<string, number> = {};
      for (const k of KEY_LIMITS) limits[k] = (device.limits as unknown as Record<string, number>)[k];
      if (opts.json) {
        const chosen = { ...device.adapter, features: [...device.features].sort(), limits };
        console.log(JSON.stringify({ adapters: probes.map(({ limits: _l, ...p }) => p), chosen }, null, 2));
      } else {
        console.log('Adapters found:');
        for (const p of probes)
          console.log(
            `  ${p.found ? '✓' : '✗'} ${p.kind.padEnd(12)} ${p.backend.padEnd(7)} ${p.found ? `${p.description?.name} — ${p.description?.description}` : p.missing}`,
          );
        console.log(
          `\nChosen: ${device.adapter.name} (${device.adapter.backend}, ${device.adapter.featureLevel} feature level${device.adapter.software ? ', software: CPU figures only' : ''})`,
        );
        console.log(`  why: ${device.adapter.reason}`);
        console.log('\nFeatures:');
        for (const f of KEY_FEATURES) console.log(`  ${device.features.has(f) ? '✓' : '✗'} ${f}`);
        console.log('\nLimits:');
        for (const k of KEY_LIMITS) {
          const v = limits[k];
          console.log(`  ${k.padEnd(36)} ${/Size$/.test(k) ? fmtBytes(v) : v}`);
        }
      }
      device.destroy();
    });
}
