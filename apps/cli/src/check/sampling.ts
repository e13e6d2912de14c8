// Sampling reference vectors (golden/flux-tiny-a-sampling: inputs.noise, the model's weights file named
// in __metadata__.weights and resolved beside it) and schedule vectors (golden/flux-schedule).
import { dirname, join, basename } from 'node:path';
import { type SafetensorsReader, tensor } from '@cleardit/tensor';
import { loadModel, FluxTransformer } from '@cleardit/models';
import { openCheckpoint } from '@cleardit/models/node';
import { fluxSchedule, eulerFlow } from '@cleardit/sampler';
import { compare, type Checker, type CheckRow, type Shaped } from './types.js';

/** golden README: the sampling run's max diff vs float64 is 3.7e-7; FLUX float32 kernels add ~1e-7 per step. */
const SAMPLING_TOL = 1e-5;

export const samplingChecker: Checker = {
  name: 'flux sampling',
  recognize: (r) => r.has('inputs.noise') && 'weights' in r.metadata,
  async run(device, r) {
    const m = r.metadata;
    const weightsPath = join(dirname(r.name), basename(m.weights));
    const { model } = await loadModel(device, await openCheckpoint(weightsPath), { family: 'flux' });
    const flux = model as FluxTransformer;
    const steps = Number(m.num_steps);
    const schedule = fluxSchedule({
      steps,
      imageSeqLen: Number(m.image_seq_len),
      shift: m.shift !== 'False',
      baseShift: Number(m.base_shift),
      maxShift: Number(m.max_shift),
    });
    const up = async (k: string) => tensor(device, await r.readF32(k), r.info(k).shape);
    const cond = { imgIds: await r.readF32('inputs.img_ids'), txt: await up('inputs.txt'), txtIds: await r.readF32('inputs.txt_ids'), y: await up('inputs.y') };
    const noise = await up('inputs.noise');
    const B = noise.shape[0];
    // per batch item: the same time, and each item's own guidance when the file gives one per item
    const perItem = r.has('inputs.guidance') ? Array.from(await r.readF32('inputs.guidance')) : [Number(m.guidance)];
    const guidanceOf = (i: number) => perItem[perItem.length === B ? i : 0];
    const guidance = guidanceOf(0);
    const got: Record<string, ArrayLike<number> | Shaped> = { timesteps: schedule };
    const latent = await eulerFlow({
      model: (x, t, c, g) =>
        flux.forward({
          img: x,
          imgIds: c.imgIds,
          txt: c.txt,
          txtIds: c.txtIds,
          timesteps: Array<number>(B).fill(t),
          y: c.y,
          guidance: g === undefined ? undefined : Array.from({ length: B }, (_, i) => guidanceOf(i)),
        }),
      x: noise,
      schedule,
      cond,
      guidance: flux.config.guidanceEmbed ? guidance : undefined,
      onStep: async ({ step, latent: l }) => void (got[`latent_step${step}`] = { data: await l.toArray(), shape: l.shape }),
    });
    got.latent = { data: await latent.toArray(), shape: latent.shape };
    flux.dispose();
    const rows: CheckRow[] = [];
    const skipped = [];
    for (const key of r.keys().filter((k) => k.startsWith('outputs.'))) {
      const name = key.slice(8);
      if (got[name]) rows.push(compare(name, got[name], { data: await r.readF32(key), shape: r.info(key).shape }, SAMPLING_TOL, true));
      else skipped.push({ output: name, reason: 'not produced by this sampling run' });
    }
    return {
      title: `FLUX Euler sampling, batch ${B}, ${steps} steps, guidance ${perItem.length === B && B > 1 ? perItem.join('/') : guidance}, weights ${basename(weightsPath)}`,
      rows,
      skipped,
    };
  },
};

export const scheduleChecker: Checker = {
  name: 'flux schedules',
  recognize: (r) => r.keys().length > 0 && r.keys().every((k) => /^schedule\.\d+_\d+_(True|False)$/.test(k)),
  async run(_device, r: SafetensorsReader) {
    const rows: CheckRow[] = [];
    for (const key of r.keys()) {
      const [, steps, seq, shift] = /^schedule\.(\d+)_(\d+)_(True|False)$/.exec(key)!;
      const got = fluxSchedule({ steps: Number(steps), imageSeqLen: Number(seq), shift: shift === 'True' });
      rows.push(compare(key.slice(9), got, await r.readF32(key), 1e-7, true));
    }
    return { title: 'FLUX schedules (get_schedule)', rows, skipped: [] };
  },
};
