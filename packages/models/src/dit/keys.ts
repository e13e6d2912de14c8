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

/** facebookresearch/DiT's module names for each canonical (diffusers) prefix; q, k and v are row blocks of one fused qkv. */
const ORIGINAL_NAMES: [RegExp, string][] = [
  [/^pos_embed\.proj\./, 'x_embedder.proj.'],
  [/^transformer_blocks\.0\.norm1\.emb\.timestep_embedder\.linear_1\./, 't_embedder.mlp.0.'],
  [/^transformer_blocks\.0\.norm1\.emb\.timestep_embedder\.linear_2\./, 't_embedder.mlp.2.'],
  [/^transformer_blocks\.0\.norm1\.emb\.class_embedder\./, 'y_embedder.'],
  [/^transformer_blocks\.(\d+)\.norm1\.linear\./, 'blocks.$1.adaLN_modulation.1.'],
  [/^transformer_blocks\.(\d+)\.attn1\.to_out\.0\./, 'blocks.$1.attn.proj.'],
  [/^transformer_blocks\.(\d+)\.ff\.net\.0\.proj\./, 'blocks.$1.mlp.fc1.'],
  [/^transformer_blocks\.(\d+)\.ff\.net\.2\./, 'blocks.$1.mlp.fc2.'],
  [/^proj_out_1\./, 'final_layer.adaLN_modulation.1.'],
  [/^proj_out_2\./, 'final_layer.linear.'],
];

/** Where each canonical key (ditParams) comes from in an original checkpoint. */
export function ditOriginalMap(c: DitConfig): KeyMap {
  const D = c.hiddenSize;
  const m: KeyMap = new Map();
  for (const key of ditKeys(c).keys()) {
    const qkv = /^transformer_blocks\.(\d+)\.attn1\.to_([qkv])\.(weight|bias)$/.exec(key);
    if (qkv) {
      const j = 'qkv'.indexOf(qkv[2]);
      m.set(key, { parts: [`blocks.${qkv[1]}.attn.qkv.${qkv[3]}`], rows: [j * D, (j + 1) * D], totalRows: 3 * D });
      continue;
    }
    const rule = ORIGINAL_NAMES.find(([re]) => re.test(key));
    if (!rule) throw new ConfigError(`DiT: no original (facebookresearch/DiT) name for the parameter '${key}' (add its rule to ORIGINAL_NAMES)`);
    m.set(key, { parts: [key.replace(rule[0], rule[1])] });
  }
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
