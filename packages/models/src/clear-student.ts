// A CLEAR student over a teacher's weights (spec/clear.md §6). What trains: the attention q, k, v and
// output projections (for FLUX the image stream's, and the q/k/v rows of each single block's linear1)
// and, with a down factor d > 1, one d×d pooling map per attention layer (`spatial_weight`, initialised
// to average pooling). The student's trainable tensors are copies that require gradients; every other
// tensor is the teacher's own, shared and never written, so it stays bit-identical.
import { type Device, type Tensor, cast, full, noGrad, slice } from '@cleardit/tensor';
import { type DitConfig, ditParams } from './dit/config.js';
import { type ParamTree, paramEntries } from './params.js';
import { type FluxConfig, fluxParams } from './flux/config.js';
import { Weights } from './weights.js';
import type { TensorSource } from './source.js';

/** A trainable weight, whole or a block of its rows [start, end). */
export interface TrainableWeight {
  name: string;
  rows?: [number, number];
}

/** What distillation trains in a model, and which layers' attention outputs enter L_attn. */
export interface ClearTrainingPlan {
  trainable: TrainableWeight[];
  /** The pooling map's name per attention layer (used when the down factor is above 1). */
  poolingMaps: string[];
  /** The layer indices (as the model's attention tap numbers them) whose outputs enter L_attn. */
  attnLayers: number[];
}

/**
 * A distilled CLEAR student with a down factor carries one d×d pooling map per attention layer; those
 * the file has are expected too, as [d, d] (the loader's key list for a family of CLEAR-capable models).
 */
export function withPoolingMaps(expected: Map<string, number[]>, plan: ClearTrainingPlan, source: TensorSource): Map<string, number[]> {
  const keys = new Set(source.keys());
  for (const name of plan.poolingMaps) {
    if (!keys.has(name)) continue;
    const d = source.info(name).shape[0];
    expected.set(name, [d, d]);
  }
  return expected;
}

/** Every parameter of a subtree at `prefix` as trainable, whole or rows [start, end) of each. */
const trainableOf = (tree: ParamTree, prefix: string, rows?: [number, number]): TrainableWeight[] =>
  paramEntries(tree, prefix).map(([name]) => ({ name, rows }));

/** DiT: every parameter of every block's attn1 (to_q/k/v, to_out.0); L_attn on every second block, the last one included. */
export function ditClearPlan(c: DitConfig): ClearTrainingPlan {
  const blocks = Array.from({ length: c.depth }, (_, i) => i);
  return {
    trainable: ditParams(c).transformer_blocks.flatMap((b, i) => trainableOf(b.attn1, `transformer_blocks.${i}.attn1`)),
    poolingMaps: blocks.map((i) => `transformer_blocks.${i}.attn1.spatial_weight`),
    attnLayers: blocks.filter((i) => (c.depth - 1 - i) % 2 === 0),
  };
}

/** The paper's S: single blocks whose processor index is ≡ 0 mod 4; a tiny model with none uses its last single block. */
function fluxAttnLayers(c: FluxConfig): number[] {
  const singles = Array.from({ length: c.depthSingleBlocks }, (_, i) => c.depth + i);
  const s = singles.filter((l) => l % 4 === 0);
  return s.length || !singles.length ? s : [singles[singles.length - 1]];
}

/**
 * FLUX (BFL names): the image stream's qkv and proj in every double block, rows 0…3C−1 of every single
 * block's linear1; L_attn on the single blocks whose processor index (doubles first) is ≡ 0 mod 4.
 */
export function fluxClearPlan(c: FluxConfig): ClearTrainingPlan {
  const C = c.hiddenSize;
  const P = fluxParams(c);
  const doubles = P.double_blocks.map((_, i) => i);
  const singles = P.single_blocks.map((_, i) => i);
  return {
    trainable: [
      ...P.double_blocks.flatMap((b, i) => trainableOf({ qkv: b.img_attn.qkv, proj: b.img_attn.proj }, `double_blocks.${i}.img_attn`)),
      ...P.single_blocks.flatMap((b, i) => trainableOf(b.linear1, `single_blocks.${i}.linear1`, [0, 3 * C])),
    ],
    poolingMaps: [...doubles.map((i) => `double_blocks.${i}.spatial_weight`), ...singles.map((i) => `single_blocks.${i}.spatial_weight`)],
    attnLayers: fluxAttnLayers(c),
  };
}

export interface ClearStudent {
  /** The student's weights: the teacher's, with the trainable ones replaced (never dispose; call dispose() below). */
  weights: Weights;
  /** The trainable tensors by name (a row block as `name[start:end]`). */
  params: Map<string, Tensor>;
  /** Frees what the student owns (its trainable copies), not the teacher's tensors. */
  dispose(): void;
}

/** Builds the student over `teacher` (a teacher's own pooling maps, if it has them, are the starting values). */
export function clearStudent(device: Device, teacher: Weights, plan: ClearTrainingPlan, downFactor: number): ClearStudent {
  const w = new Weights(`${teacher.model} (CLEAR student)`);
  for (const name of teacher.names()) if (teacher.tensors.has(name)) w.tensors.set(name, teacher.tensors.get(name)!);
  const params = new Map<string, Tensor>();
  const owned: Tensor[] = [];
  const own = (t: Tensor) => {
    owned.push(t.keep());
    return t;
  };
  noGrad(device, () => {
    const byName = new Map<string, TrainableWeight[]>();
    for (const t of plan.trainable) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
    for (const [name, parts] of byName) {
      // trained in f32 whatever the checkpoint stored (16-bit weights are cast; f32 ones copied)
      const src = cast(teacher.get(name), 'f32');
      if (parts.length > 1 || parts[0].rows) {
        // trainable row blocks between frozen ones, in order
        const blocks: Tensor[] = [];
        let at = 0;
        for (const p of [...parts].sort((a, b) => a.rows![0] - b.rows![0])) {
          const [r0, r1] = p.rows!;
          if (r0 > at) blocks.push(own(slice(src, 0, at, r0)));
          const t = own(slice(src, 0, r0, r1)).requireGrad();
          params.set(`${name}[${r0}:${r1}]`, t);
          blocks.push(t);
          at = r1;
        }
        if (at < src.shape[0]) blocks.push(own(slice(src, 0, at)));
        src.dispose();
        w.setRowBlocks(name, blocks);
      } else {
        const t = own(src).requireGrad();
        params.set(name, t);
        w.tensors.set(name, t);
      }
    }
    if (downFactor > 1)
      for (const name of plan.poolingMaps) {
        const start = teacher.tensors.get(name);
        const t = own(start ? cast(start, 'f32') : full(device, [downFactor, downFactor], 1 / (downFactor * downFactor))).requireGrad();
        params.set(name, t);
        w.tensors.set(name, t);
      }
  });
  return {
    weights: w,
    params,
    dispose: () => {
      for (const t of owned) t.dispose();
      owned.length = 0;
    },
  };
}
