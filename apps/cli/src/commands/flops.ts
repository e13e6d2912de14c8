// `cleardit flops`: attention FLOPs per layer, full vs CLEAR, at FLUX geometry (16 pixels per token).
import { type Command, Option } from 'commander';
import { fluxFlops } from '@cleardit/attention';
import { UsageError } from '../exit.js';
import { positiveNumbers, positiveInt } from '../parse.js';

export function flopsCommand(program: Command): void {
  program
    .command('flops')
    .description('attention FLOPs per layer for full attention and CLEAR at FLUX geometry')
    .addOption(new Option('--resolution <px...>', 'square image sizes in pixels (multiples of 16)').default(['1024', '2048', '4096', '8192']))
    .addOption(new Option('--radius <r...>', 'CLEAR radii in tokens').default(['8', '16', '32']))
    .option('--text <tokens>', 'text tokens (T5 length)', '512')
    .option('--width <c>', 'model width: heads × head dim', '3072')
    .option('--json', 'print an array of {resolution, radius, textLength, fullFlops, clearFlops}')
    .addHelpText(
      'after',
      `
FLOPs per layer = 4 · ΣM · width, where ΣM counts the visible (query, key) pairs exactly, border
truncation included (spec: CLEAR §5). Multiply by 57 for one FLUX step. Softmax and projections are
not counted. A token is 16×16 pixels (8× VAE, 2×2 packing).

Examples:
  cleardit flops
  cleardit flops --resolution 2048 --radius 16 --json`,
    )
    .action((opts: { resolution: string[]; radius: string[]; text: string; width: string; json?: boolean }) => {
      const res = positiveNumbers('--resolution', opts.resolution, true);
      for (const r of res) if (r % 16) throw new UsageError(`--resolution ${r} is not a multiple of 16 (one FLUX token is 16 pixels)`);
      const radii = positiveNumbers('--radius', opts.radius, false);
      const text = positiveInt('--text', opts.text, true);
      const width = positiveInt('--width', opts.width, false);
      const rows = res.flatMap((r) => radii.map((rad) => fluxFlops(r, rad, text, width)));
      if (opts.json) {
        console.log(JSON.stringify(rows, null, 2));
        return;
      }
      const g = (x: number) => (x / 1e9).toFixed(1);
      console.log(`Attention GFLOPs per layer (T = ${text}, width ${width}):`);
      console.log(
        `${'resolution'.padStart(10)} ${'tokens'.padStart(8)} ${'r'.padStart(4)} ${'full'.padStart(12)} ${'CLEAR'.padStart(10)} ${'CLEAR/full'.padStart(10)}`,
      );
      for (const row of rows)
        console.log(
          `${String(row.resolution).padStart(10)} ${String((row.resolution / 16) ** 2).padStart(8)} ${String(row.radius).padStart(4)} ${g(row.fullFlops).padStart(12)} ${g(row.clearFlops).padStart(10)} ${((100 * row.clearFlops) / row.fullFlops).toFixed(2).padStart(9)}%`,
        );
    });
}
