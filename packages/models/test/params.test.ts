// Parameter trees (params.ts): keys are paths joined by '.', array indices included, `{}` and
// undefined hold places without parameters; a bound tree reads each tensor from the Weights when asked
// (so a replaced weight is the one read) and a missing one is a WeightError naming the key.
import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, tensor } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { Param, Weights, WeightError, linearParams, paramKeys, paramEntries, bindParams, ditParams, DIT_PRESETS } from '../src/index.js';

let d: Device;
beforeAll(async () => {
  d = await createDevice();
});

const tree = {
  embed: { weight: new Param(5, 3) },
  blocks: [{ net: [linearParams(4, 3), {}, linearParams(3, 4)] as const, extra: undefined }],
  out: linearParams(2, 3),
};

describe('parameter trees', () => {
  it('keys are paths in declaration order, array indices included, holes skipped', () => {
    expect(paramEntries(tree)).toEqual([
      ['embed.weight', [5, 3]],
      ['blocks.0.net.0.weight', [4, 3]],
      ['blocks.0.net.0.bias', [4]],
      ['blocks.0.net.2.weight', [3, 4]],
      ['blocks.0.net.2.bias', [3]],
      ['out.weight', [2, 3]],
      ['out.bias', [2]],
    ]);
    expect([...paramKeys(tree.blocks[0], 'blocks.0').keys()]).toEqual([
      'blocks.0.net.0.weight',
      'blocks.0.net.0.bias',
      'blocks.0.net.2.weight',
      'blocks.0.net.2.bias',
    ]);
  });

  it('a bound tree reads the current tensor of each key, and names a missing one', async () => {
    const w = new Weights('toy');
    for (const [k, s] of paramKeys(tree)) w.set(k, tensor(d, new Float32Array(s.reduce((a, b) => a * b, 1)), s));
    const p = bindParams(tree, w);
    expect(p.blocks[0].net[2].weight.shape).toEqual([3, 4]);
    w.set('out.bias', tensor(d, [7, 8], [2]));
    expect(Array.from(await p.out.bias.toArray())).toEqual([7, 8]);
    w.tensors.get('embed.weight')!.dispose();
    w.tensors.delete('embed.weight');
    expect(() => p.embed.weight).toThrowError(WeightError);
    expect(() => p.embed.weight).toThrowError(/toy: missing weight 'embed\.weight'/);
    w.dispose();
  });

  it('DiT declares block 0’s embedders once and every block’s attention and MLP', () => {
    const keys = [...paramKeys(ditParams(DIT_PRESETS['dit-tiny'])).keys()];
    expect(keys.filter((k) => k.includes('.emb.'))).toEqual([
      'transformer_blocks.0.norm1.emb.timestep_embedder.linear_1.weight',
      'transformer_blocks.0.norm1.emb.timestep_embedder.linear_1.bias',
      'transformer_blocks.0.norm1.emb.timestep_embedder.linear_2.weight',
      'transformer_blocks.0.norm1.emb.timestep_embedder.linear_2.bias',
      'transformer_blocks.0.norm1.emb.class_embedder.embedding_table.weight',
    ]);
    expect(keys.filter((k) => k.startsWith('transformer_blocks.1.'))).toEqual(
      ['norm1.linear', 'attn1.to_q', 'attn1.to_k', 'attn1.to_v', 'attn1.to_out.0', 'ff.net.0.proj', 'ff.net.2'].flatMap((m) => [
        `transformer_blocks.1.${m}.weight`,
        `transformer_blocks.1.${m}.bias`,
      ]),
    );
  });
});
