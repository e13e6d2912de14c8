// DiT checkpoint names: diffusers' DiTTransformer2DModel (canonical) and facebookresearch/DiT's
// originals (spec/dit.md §6–7), detection and config inference from shapes.
import { type DitConfig, ditKeys, ditOutChannels } from './config.js';
import { type KeyMap, identityMap } from '../mapping.js';
import { ConfigError } from '../errors.js';

export const isDitDiffusers = (keys: Set<string>) => keys.has('pos_embed.proj.weight') && keys.has('proj_out_1.weight');
export const isDitOriginal = (keys: Set<string>) => keys.has('x_embedder.proj.weight') && keys.has('final_layer.linear.weight');

/** Known keys that are not loaded: the embedder copies diffusers keeps in every block (identical to block 0's), and the original's fixed pos_embed. */
export function ditIgnoredKeys(keys: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const k of keys) if (/^transformer_blocks\.([1-9]\d*)\.norm1\.emb\./.test(k) || k === 'pos_embed') out.add(k);
  return out;
}

export function ditDiffusersMap(c: DitConfig): KeyMap {
  return identityMap(ditKeys(c).keys());
}

export function ditOriginalMap(c: DitConfig): KeyMap {
  const D = c.hiddenSize;
  const m: KeyMap = new Map();
  const both = (to: string, from: string, extra: Partial<{ rows: [number, number]; totalRows: number }> = {}) => {
    for (const s of ['weight', 'bias']) m.set(`${to}.${s}`, { parts: [`${from}.${s}`], ...extra });
  };
  both('pos_embed.proj', 'x_embedder.proj');
  both('transformer_blocks.0.norm1.emb.timestep_embedder.linear_1', 't_embedder.mlp.0');
  both('transformer_blocks.0.norm1.emb.timestep_embedder.linear_2', 't_embedder.mlp.2');
  m.set('transformer_blocks.0.norm1.emb.class_embedder.embedding_table.weight', { parts: ['y_embedder.embedding_table.weight'] });
  for (let i = 0; i < c.depth; i++) {
    const b = `transformer_blocks.${i}`;
    const o = `blocks.${i}`;
    both(`${b}.norm1.linear`, `${o}.adaLN_modulation.1`);
    ['to_q', 'to_k', 'to_v'].forEach((q, j) => both(`${b}.attn1.${q}`, `${o}.attn.qkv`, { rows: [j * D, (j + 1) * D], totalRows: 3 * D }));
    both(`${b}.attn1.to_out.0`, `${o}.attn.proj`);
    both(`${b}.ff.net.0.proj`, `${o}.mlp.fc1`);
    both(`${b}.ff.net.2`, `${o}.mlp.fc2`);
  }
  both('proj_out_1', 'final_layer.adaLN_modulation.1');
  both('proj_out_2', 'final_layer.linear');
  return m;
}

export function inferDitConfig(keys: Set<string>, shape: (k: string) => readonly number[], original: boolean): DitConfig {
  const [D, inChannels, p] = shape(original ? 'x_embedder.proj.weight' : 'pos_embed.proj.weight');
  const table = shape(original ? 'y_embedder.embedding_table.weight' : 'transformer_blocks.0.norm1.emb.class_embedder.embedding_table.weight');
  const out = shape(original ? 'final_layer.linear.weight' : 'proj_out_2.weight')[0] / (p * p);
  const fc1 = shape(original ? 'blocks.0.mlp.fc1.weight' : 'transformer_blocks.0.ff.net.0.proj.weight')[0];
  let depth = 0;
  for (const k of keys) {
    const m = /^(?:transformer_blocks|blocks)\.(\d+)\./.exec(k);
    if (m) depth = Math.max(depth, Number(m[1]) + 1);
  }
  // Head count and input size are not in the weights: DiT uses head dim 64 (72 for XL: 1152/16).
  const numHeads = D === 1152 ? 16 : D / 64;
  let inputSize = 32;
  if (keys.has('pos_embed') && original) inputSize = Math.round(Math.sqrt(shape('pos_embed')[1])) * p;
  const c: DitConfig = {
    inputSize,
    patchSize: p,
    inChannels,
    hiddenSize: D,
    depth,
    numHeads,
    mlpRatio: fc1 / D,
    numClasses: table[0] - 1,
    learnSigma: out === 2 * inChannels,
  };
  if (ditOutChannels(c) !== out)
    throw new ConfigError(`DiT: ${out} output channels per patch fit neither learn_sigma on nor off for ${inChannels} input channels`);
  return c;
}
