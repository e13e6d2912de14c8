// DiT configuration as plain data (facebookresearch/DiT's DiT(...) arguments) with named presets.
import { ConfigError } from '../errors.js';
import { Param, linearParams, paramKeys } from '../params.js';
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
  const c: DitConfig = {
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
  checkDitConfig(c);
  return c;
}

/** What every DiT config must satisfy: whole patches and heads, and a width the 2-D sin-cos table can split in four. */
export function checkDitConfig(c: DitConfig): void {
  for (const k of ['inputSize', 'patchSize', 'inChannels', 'hiddenSize', 'depth', 'numHeads', 'numClasses'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ConfigError(`DiT config: ${k} ${c[k]} is not a positive integer`);
  if (c.inputSize % c.patchSize) throw new ConfigError(`DiT config: input size ${c.inputSize} is not a multiple of the patch size ${c.patchSize}`);
  if (c.hiddenSize % c.numHeads) throw new ConfigError(`DiT config: hidden size ${c.hiddenSize} is not a multiple of ${c.numHeads} heads`);
  if (c.hiddenSize % 4)
    throw new ConfigError(`DiT config: hidden size ${c.hiddenSize} is not a multiple of 4 (the 2-D sin-cos position table splits it in four)`);
  if (!(c.mlpRatio > 0) || !Number.isInteger(c.hiddenSize * c.mlpRatio))
    throw new ConfigError(`DiT config: mlp ratio ${c.mlpRatio} does not give a whole MLP width from hidden size ${c.hiddenSize}`);
}

export const ditOutChannels = (c: DitConfig) => (c.learnSigma ? 2 * c.inChannels : c.inChannels);

/**
 * A DiT's parameters under diffusers' DiTTransformer2DModel names (canonical). diffusers keeps a copy
 * of the embedders in every block's norm1.emb, all equal to block 0's: only block 0's is declared
 * (ditIgnoredKeys lists the copies), and the forward reads it.
 */
export function ditParams(c: DitConfig) {
  const D = c.hiddenSize;
  const M = Math.round(D * c.mlpRatio);
  const p = c.patchSize;
  const embedders = {
    timestep_embedder: { linear_1: linearParams(D, 256), linear_2: linearParams(D, D) },
    class_embedder: { embedding_table: { weight: new Param(c.numClasses + 1, D) } }, // the last row is the null class
  };
  return {
    pos_embed: { proj: { weight: new Param(D, c.inChannels, p, p), bias: new Param(D) } },
    transformer_blocks: Array.from({ length: c.depth }, (_, i) => ({
      norm1: { emb: i === 0 ? embedders : undefined, linear: linearParams(6 * D, D) },
      attn1: { to_q: linearParams(D, D), to_k: linearParams(D, D), to_v: linearParams(D, D), to_out: [linearParams(D, D)] as const },
      ff: { net: [{ proj: linearParams(M, D) }, {}, linearParams(D, M)] as const }, // net.1 is the GELU
    })),
    proj_out_1: linearParams(2 * D, D),
    proj_out_2: linearParams(p * p * ditOutChannels(c), D),
  };
}

export type DitParams = ReturnType<typeof ditParams>;

/** The canonical keys a DiT needs, with shapes (from ditParams). */
export const ditKeys = (c: DitConfig): Map<string, number[]> => paramKeys(ditParams(c));
