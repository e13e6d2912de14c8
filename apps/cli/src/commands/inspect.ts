// `cleardit inspect FILE`: what a checkpoint is (family, naming, config), how many parameters, which
// dtypes, how many bytes it needs on the chosen adapter, and every missing or unexpected key. A FLUX
// folder (model_index.json) is listed part by part (inspect/folder.ts).
import type { Command } from 'commander';
import { fmtBytes } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { detect, planLoad, MODEL_FAMILIES } from '@cleardit/models';
import { openCheckpoint, defaultMemoryBudget, isPipelineFolder } from '@cleardit/models/node';
import { inspectFluxFolder } from '../inspect/folder.js';
import { EXIT } from '../exit.js';

export function inspectCommand(program: Command): void {
  program
    .command('inspect')
    .description('identify a checkpoint: family, naming, config, parameters, dtypes, bytes needed, missing/unexpected keys')
    .argument('<path>', 'a .safetensors file, a *.safetensors.index.json, a diffusers folder, or a FLUX.1 folder (every part)')
    .option('--json', 'print one JSON object')
    .addHelpText(
      'after',
      `
Reads only the header(s): no tensor data is touched, so a 24 GB checkpoint inspects instantly.
Knows ${MODEL_FAMILIES.map((f) => `${f.label} (${f.namings.join(' or ')} names)`).join(', ')}.
Exit status: 0 loadable here, 1 incomplete/misshapen or too big for the adapter, 2 unreadable.

Example:
  cleardit inspect flux1-dev.safetensors`,
    )
    .action(async (path: string, opts: { json?: boolean }, cmd: Command) => {
      if (isPipelineFolder(path)) return inspectFluxFolder(path, opts.json === true, cmd.optsWithGlobals().adapter);
      let src: Awaited<ReturnType<typeof openCheckpoint>>;
      let det: ReturnType<typeof detect>;
      try {
        src = await openCheckpoint(path);
        det = detect(src);
      } catch (e) {
        // --json promises one JSON object on stdout, failures included
        const err = e as Error;
        if (opts.json) console.log(JSON.stringify({ file: path, loadable: false, error: { name: err.name, message: err.message } }, null, 2));
        throw e;
      }
      const plan = planLoad(src, det);
      const device = await createDevice({ adapter: cmd.optsWithGlobals().adapter });
      const budget = defaultMemoryBudget(device);
      const binding = device.limits.maxStorageBufferBindingSize;
      const problems: string[] = [];
      if (plan.missing.length) problems.push(`${plan.missing.length} missing tensor(s)`);
      if (plan.shapeErrors.length) problems.push(`${plan.shapeErrors.length} wrong shape(s)`);
      if (plan.unexpected.length) problems.push(`${plan.unexpected.length} unexpected tensor(s)`);
      if (plan.largestTensorBytes > binding)
        problems.push(`largest weight ${fmtBytes(plan.largestTensorBytes)} exceeds the ${fmtBytes(binding)} binding limit`);
      if (budget !== undefined && plan.bytes > budget)
        problems.push(`needs ${fmtBytes(plan.bytes)}, ${device.adapter.name} has ${fmtBytes(budget)} for weights`);
      const report = {
        file: src.name,
        family: det.family,
        naming: det.naming,
        config: det.config,
        parameters: plan.parameters,
        tensors: src.keys().length,
        dtypes: plan.dtypes,
        bytesNeeded: plan.bytes,
        kept16: plan.kept16,
        adapter: device.adapter.name,
        bytesAvailable: budget ?? null,
        maxBinding: binding,
        missing: plan.missing,
        unexpected: plan.unexpected,
        shapeErrors: plan.shapeErrors,
        loadable: problems.length === 0,
        problems,
      };
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else {
        const b = (n: number) => fmtBytes(n);
        console.log(`${src.name}`);
        console.log(`  family      ${det.family} (${det.naming} names)`);
        console.log(`  config      ${JSON.stringify(det.config)}`);
        console.log(
          `  parameters  ${plan.parameters.toLocaleString('en-US')} in ${report.tensors} tensors (${Object.entries(plan.dtypes)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')})`,
        );
        console.log(
          `  needs       ${b(plan.bytes)} on ${device.adapter.name}, ${plan.kept16} Linear weights kept in 16 bits (available: ${budget === undefined ? 'unknown' : b(budget)}; largest tensor ${b(plan.largestTensorBytes)}, binding limit ${b(binding)})`,
        );
        console.log(`  missing     ${plan.missing.length ? plan.missing.join(', ') : 'none'}`);
        console.log(`  unexpected  ${plan.unexpected.length ? plan.unexpected.join(', ') : 'none'}`);
        if (plan.shapeErrors.length) console.log(`  shapes      ${plan.shapeErrors.join('; ')}`);
        console.log(`  loadable    ${problems.length ? `no: ${problems.join('; ')}` : 'yes'}`);
      }
      await src.close();
      device.destroy();
      process.exit(problems.length ? EXIT.failed : EXIT.ok);
    });
}
