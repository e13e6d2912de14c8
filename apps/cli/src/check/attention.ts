// Attention reference vectors (golden/clear-attn-*): inputs.q/k/v [B, H, T+N, D], optional inputs.dout
// and inputs.spatial_weight, geometry in __metadata__. Runs the fused CLEAR kernels (not the dense
// reference) forward and, when dout is given, backward.
import { type Device, type SafetensorsReader, tensor } from '@cleardit/tensor';
import { clearPlan, uploadPlan, attentionForward, attentionBackward } from '@cleardit/attention';
import { compare, type Checker, type CheckResult, type CheckRow } from './types.js';
import { UsageError } from '../exit.js';

const META = ['text_len', 'height', 'width', 'radius'];
/** Relative to the largest output magnitude (golden README: ≤ 1e-4). */
const TOLERANCE = 1e-4;

export const attentionChecker: Checker = {
  name: 'attention',
  recognize: (r) => ['inputs.q', 'inputs.k', 'inputs.v'].every((k) => r.has(k)) && META.every((k) => k in r.metadata),
  async run(device: Device, r: SafetensorsReader): Promise<CheckResult> {
    const m = r.metadata;
    const num = (k: string, dflt?: number) => {
      const v = m[k] === undefined ? dflt : Number(m[k]);
      if (v === undefined || !Number.isFinite(v)) throw new UsageError(`${r.name}: metadata '${k}' is missing or not a number`);
      return v;
    };
    const g = { height: num('height'), width: num('width'), textLength: num('text_len'), radius: num('radius'), downFactor: num('down_factor', 1) };
    const load = async (key: string) => tensor(device, await r.readF32(key), r.info(key).shape);
    const [q, k, v] = [await load('inputs.q'), await load('inputs.k'), await load('inputs.v')];
    const [B, H, , D] = q.shape;
    const scale = num('scale', 1 / Math.sqrt(D));
    const plan = clearPlan(g);
    const dp = uploadPlan(device, plan);
    const spatialWeight = r.has('inputs.spatial_weight') ? await load('inputs.spatial_weight') : undefined;
    const opts = { scale, spatialWeight };
    const rows: CheckRow[] = [];
    const skipped: CheckResult['skipped'] = [];
    const fwd = attentionForward(dp, q, k, v, opts);
    const want = async (key: string) => r.readF32(key);
    if (r.has('outputs.out')) rows.push(compare('out', await fwd.out.toArray(), await want('outputs.out'), TOLERANCE));
    const grads = r.has('inputs.dout') ? attentionBackward(dp, q, k, v, fwd, await load('inputs.dout'), opts) : undefined;
    const produced: Record<string, (() => Promise<ArrayLike<number>>) | undefined> = {
      dq: grads && (() => grads.dq.toArray()),
      dk: grads && (() => grads.dk.toArray()),
      dv: grads && (() => grads.dv.toArray()),
      dspatial_weight: grads?.dSpatialWeight && (() => grads.dSpatialWeight!.toArray()),
    };
    for (const key of r.keys().filter((x) => x.startsWith('outputs.') && x !== 'outputs.out')) {
      const name = key.slice('outputs.'.length);
      if (name === 'visible_pairs') {
        const expected = (await want(key))[0];
        rows.push({
          output: name,
          maxAbs: Math.abs(plan.visiblePairs - expected),
          maxRel: 0,
          tolerance: 0,
          absolute: true,
          pass: plan.visiblePairs === expected,
          text: `${plan.visiblePairs} vs ${expected}`,
        });
        continue;
      }
      const get = produced[name];
      if (get) rows.push(compare(name, await get(), await want(key), TOLERANCE));
      else skipped.push({ output: name, reason: grads ? 'not produced by this computation' : 'no inputs.dout in the file' });
    }
    dp.dispose();
    return {
      title: `CLEAR attention: ${g.height}×${g.width} grid, T=${g.textLength}, r=${g.radius}${g.downFactor > 1 ? `, down factor ${g.downFactor}` : ''}; B=${B} H=${H} D=${D}, scale ${scale.toPrecision(4)}`,
      rows,
      skipped,
    };
  },
};
