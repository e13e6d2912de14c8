// DiT configuration as plain data (facebookresearch/DiT's DiT(...) arguments) with named presets.
import { ConfigError } from '../errors.js';
export interface DitConfig {
  inputSize: number;
  patchSize: number;
  inChannels: number;
  hiddenSize: number;
  depth: number;
  numHeads: number;
  mlpRatio: number;
  numClasses: number;
  learnSigma: boolean;
}

const XL = { patchSize: 2, inChannels: 4, hiddenSize: 1152, depth: 28, numHeads: 16, mlpRatio: 4, numClasses: 1000, learnSigma: true };
export const DIT_PRESETS: Record<string, DitConfig> = {
  'dit-xl-2-256': { ...XL, inputSize: 32 },
  'dit-xl-2-512': { ...XL, inputSize: 64 },
  /** The golden test model (golden/dit-tiny-a). */
  'dit-tiny': { inputSize: 8, patchSize: 2, inChannels: 4, hiddenSize: 64, depth: 2, numHeads: 4, mlpRatio: 4, numClasses: 10, learnSigma: true },
};

export function ditConfigFromJson(j: Record<string, unknown>): DitConfig {
  const n = (k: string) => {
    if (typeof j[k] !== 'number' || !Number.isFinite(j[k])) throw new ConfigError(`DiT config: '${k}' is missing or not a number`);
    return j[k] as number;
  };
  return {
    inputSize: n('input_size'),
    patchSize: n('patch_size'),
    inChannels: n('in_channels'),
    hiddenSize: n('hidden_size'),
    depth: n('depth'),
    numHeads: n('num_heads'),
    mlpRatio: n('mlp_ratio'),
    numClasses: n('num_classes'),
    learnSigma: Boolean(j.learn_sigma),
  };
}

export const ditOutChannels = (c: DitConfig) => (c.learnSigma ? 2 * c.inChannels : c.inChannels);

/** The diffusers keys (canonical) a DiT needs, with shapes. Embedder copies in blocks > 0 are listed by ditIgnoredKeys. */
export function ditKeys(c: DitConfig): Map<string, number[]> {
  const D = c.hiddenSize;
  const M = Math.round(D * c.mlpRatio);
  const p = c.patchSize;
  const k = new Map<string, number[]>();
  const lin = (name: string, out: number, inp: number) => {
    k.set(`${name}.weight`, [out, inp]);
    k.set(`${name}.bias`, [out]);
  };
  k.set('pos_embed.proj.weight', [D, c.inChannels, p, p]);
  k.set('pos_embed.proj.bias', [D]);
  lin('transformer_blocks.0.norm1.emb.timestep_embedder.linear_1', D, 256);
  lin('transformer_blocks.0.norm1.emb.timestep_embedder.linear_2', D, D);
  k.set('transformer_blocks.0.norm1.emb.class_embedder.embedding_table.weight', [c.numClasses + 1, D]);
  for (let i = 0; i < c.depth; i++) {
    const b = `transformer_blocks.${i}`;
    lin(`${b}.norm1.linear`, 6 * D, D);
    for (const q of ['to_q', 'to_k', 'to_v']) lin(`${b}.attn1.${q}`, D, D);
    lin(`${b}.attn1.to_out.0`, D, D);
    lin(`${b}.ff.net.0.proj`, M, D);
    lin(`${b}.ff.net.2`, D, M);
  }
  lin('proj_out_1', 2 * D, D);
  lin('proj_out_2', p * p * ditOutChannels(c), D);
  return k;
}
