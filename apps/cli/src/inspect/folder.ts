// `cleardit inspect DIR` for a FLUX.1 folder: each part (the two text encoders, the transformer, the
// autoencoder) with its family, dtypes, parameters, the bytes it needs on the device and on the host,
// and the order `generate` loads them in. Headers only: nothing is read from the weights.
import { fmtBytes } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { detect, planLoad, type LoadPlan } from '@cleardit/models';
import { defaultMemoryBudget, fluxParts, openCheckpoint, planTextEncoder } from '@cleardit/models/node';
import { relative } from 'node:path';
import { EXIT } from '../exit.js';

interface PartReport {
  part: string;
  family: string;
  path: string;
  parameters: number;
  dtypes: Record<string, number>;
  /** Bytes on the device (16-bit Linear weights at 2 bytes). */
  bytesNeeded: number;
  /** Bytes kept on the host (a text encoder's token table, as stored). */
  hostBytes: number;
  kept16: number;
  problems: string[];
}

const problemsOf = (p: LoadPlan) => [
  ...(p.missing.length ? [`${p.missing.length} missing tensor(s): ${p.missing.slice(0, 3).join(', ')}`] : []),
  ...(p.shapeErrors.length ? [`wrong shape: ${p.shapeErrors.slice(0, 3).join('; ')}`] : []),
  ...(p.unexpected.length ? [`${p.unexpected.length} unexpected tensor(s)`] : []),
];

const short = (n: number) => fmtBytes(n, false);

export async function inspectFluxFolder(dir: string, json: boolean, adapter: string | undefined): Promise<never> {
  const parts = fluxParts(dir);
  const reports: PartReport[] = [];
  const name = (p: string) => relative(dir, p) || '.';
  for (const enc of [parts.clip, parts.t5]) {
    if (!enc) continue;
    const { plan, table } = await planTextEncoder(enc);
    reports.push({
      part: name(enc.encoder),
      family: enc.kind,
      path: enc.encoder,
      parameters: plan.parameters,
      dtypes: plan.dtypes,
      bytesNeeded: plan.bytes,
      hostBytes: table.bytes,
      kept16: plan.kept16,
      problems: problemsOf(plan),
    });
  }
  for (const path of [parts.transformer, parts.vae]) {
    if (!path) continue;
    const src = await openCheckpoint(path);
    try {
      const det = detect(src);
      const plan = planLoad(src, det);
      reports.push({
        part: name(path),
        family: det.family,
        path,
        parameters: plan.parameters,
        dtypes: plan.dtypes,
        bytesNeeded: plan.bytes,
        hostBytes: 0,
        kept16: plan.kept16,
        problems: problemsOf(plan),
      });
    } finally {
      await src.close();
    }
  }
  const device = await createDevice({ adapter });
  const budget = defaultMemoryBudget(device);
  // the encoders are freed before the transformer loads, so the peak is the larger of the two phases
  const encoders = reports.filter((r) => r.family === 'clip' || r.family === 't5');
  const rest = reports.filter((r) => !encoders.includes(r));
  const peak = Math.max(
    0,
    ...encoders.map((r) => r.bytesNeeded),
    rest.reduce((a, r) => a + r.bytesNeeded, 0),
  );
  const missing = [!parts.clip && 'text_encoder/ (CLIP)', !parts.t5 && 'text_encoder_2/ (T5)', !parts.vae && 'vae/'].filter((x): x is string => !!x);
  const problems = [...reports.flatMap((r) => r.problems.map((p) => `${r.part}: ${p}`)), ...missing.map((m) => `no ${m}`)];
  if (budget !== undefined && peak > budget) problems.push(`needs ${fmtBytes(peak)} at its peak, ${device.adapter.name} has ${fmtBytes(budget)} for weights`);
  const order = `${encoders.map((r) => r.part).join(', ')}${encoders.length ? ' (each freed after encoding), then ' : ''}${rest.map((r) => r.part).join(', ')}`;
  if (json)
    console.log(
      JSON.stringify(
        {
          folder: dir,
          parts: reports,
          order,
          peakBytes: peak,
          adapter: device.adapter.name,
          bytesAvailable: budget ?? null,
          loadable: problems.length === 0,
          problems,
        },
        null,
        2,
      ),
    );
  else {
    console.log(`${dir}: a FLUX folder`);
    console.log(
      `  ${'part'.padEnd(16)} ${'family'.padEnd(7)} ${'parameters'.padStart(15)}  ${'dtypes'.padEnd(18)} ${'device'.padStart(10)} ${'host'.padStart(10)}`,
    );
    for (const r of reports)
      console.log(
        `  ${r.part.padEnd(16)} ${r.family.padEnd(7)} ${r.parameters.toLocaleString('en-US').padStart(15)}  ${Object.entries(r.dtypes)
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')
          .padEnd(18)} ${short(r.bytesNeeded).padStart(10)} ${short(r.hostBytes).padStart(10)}`,
      );
    console.log(`  loaded in this order: ${order}; peak ${short(peak)} on ${device.adapter.name}`);
    console.log(`  loadable    ${problems.length ? `no: ${problems.join('; ')}` : 'yes'}`);
  }
  device.destroy();
  process.exit(problems.length ? EXIT.failed : EXIT.ok);
}
