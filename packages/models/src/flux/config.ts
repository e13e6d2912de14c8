// FLUX.1 configuration as plain data (BFL's FluxParams), with named presets (spec/flux.md §1).
import { ConfigError } from '../errors.js';
import { Param, linearParams, paramKeys } from '../params.js';
export interface FluxConfig {
  inChannels: number;
  vecInDim: number;
  contextInDim: number;
  hiddenSize: number;
  mlpRatio: number;
  numHeads: number;
  depth: number;
  depthSingleBlocks: number;
  axesDim: number[];
  theta: number;
  qkvBias: boolean;
  guidanceEmbed: boolean;
}

export const FLUX_PRESETS: Record<string, FluxConfig> = {
  'flux-dev': {
    inChannels: 64,
    vecInDim: 768,
    contextInDim: 4096,
    hiddenSize: 3072,
    mlpRatio: 4,
    numHeads: 24,
    depth: 19,
    depthSingleBlocks: 38,
    axesDim: [16, 56, 56],
    theta: 10000,
    qkvBias: true,
    guidanceEmbed: true,
  },
  'flux-schnell': {
    inChannels: 64,
    vecInDim: 768,
    contextInDim: 4096,
    hiddenSize: 3072,
    mlpRatio: 4,
    numHeads: 24,
    depth: 19,
    depthSingleBlocks: 38,
    axesDim: [16, 56, 56],
    theta: 10000,
    qkvBias: true,
    guidanceEmbed: false,
  },
  /** The golden test model (golden/flux-tiny-a): 484,304 parameters. */
  'flux-tiny': {
    inChannels: 16,
    vecInDim: 32,
    contextInDim: 48,
    hiddenSize: 64,
    mlpRatio: 4,
    numHeads: 4,
    depth: 2,
    depthSingleBlocks: 2,
    axesDim: [4, 6, 6],
    theta: 10000,
    qkvBias: true,
    guidanceEmbed: true,
  },
};

function axesDim(v: unknown): number[] {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => Number.isInteger(x) && x > 0 && x % 2 === 0))
    throw new ConfigError(`FLUX config: 'axes_dim' is ${JSON.stringify(v)}, expected three positive even integers (e.g. [16, 56, 56])`);
  return v as number[];
}

/** What every FLUX config must satisfy: whole heads, and RoPE axes that cover a head exactly. */
export function checkFluxConfig(c: FluxConfig): void {
  const positive = ['inChannels', 'vecInDim', 'contextInDim', 'hiddenSize', 'numHeads', 'depth', 'depthSingleBlocks'] as const;
  for (const k of positive)
    if (!Number.isInteger(c[k]) || c[k] < (k.startsWith('depth') ? 0 : 1))
      throw new ConfigError(`FLUX config: ${k} ${c[k]} is not a ${k.startsWith('depth') ? 'non-negative' : 'positive'} integer`);
  if (c.hiddenSize % c.numHeads) throw new ConfigError(`FLUX config: hidden size ${c.hiddenSize} is not a multiple of ${c.numHeads} heads`);
  const head = c.hiddenSize / c.numHeads;
  const sum = c.axesDim.reduce((a, b) => a + b, 0);
  if (sum !== head) throw new ConfigError(`FLUX config: axes_dim [${c.axesDim.join(', ')}] sums to ${sum}, not the head dim ${head}`);
}

/** BFL's snake_case config JSON (as in golden metadata) → FluxConfig. */
export function fluxConfigFromJson(j: Record<string, unknown>): FluxConfig {
  const n = (k: string) => {
    const v = j[k];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`FLUX config: '${k}' is missing or not a number`);
    return v;
  };
  const c: FluxConfig = {
    inChannels: n('in_channels'),
    vecInDim: n('vec_in_dim'),
    contextInDim: n('context_in_dim'),
    hiddenSize: n('hidden_size'),
    mlpRatio: n('mlp_ratio'),
    numHeads: n('num_heads'),
    depth: n('depth'),
    depthSingleBlocks: n('depth_single_blocks'),
    axesDim: axesDim(j.axes_dim),
    theta: n('theta'),
    qkvBias: Boolean(j.qkv_bias ?? true),
    guidanceEmbed: Boolean(j.guidance_embed),
  };
  checkFluxConfig(c);
  return c;
}

/** FluxConfig → BFL's snake_case config JSON (what fluxConfigFromJson reads; a model file's metadata). */
export function fluxConfigToJson(c: FluxConfig): Record<string, unknown> {
  return {
    in_channels: c.inChannels,
    vec_in_dim: c.vecInDim,
    context_in_dim: c.contextInDim,
    hidden_size: c.hiddenSize,
    mlp_ratio: c.mlpRatio,
    num_heads: c.numHeads,
    depth: c.depth,
    depth_single_blocks: c.depthSingleBlocks,
    axes_dim: c.axesDim,
    theta: c.theta,
    qkv_bias: c.qkvBias,
    guidance_embed: c.guidanceEmbed,
  };
}

/** FLUX's parameters under BFL's names (canonical: flux1-dev.safetensors), spec/flux.md §3–7. */
export function fluxParams(c: FluxConfig) {
  const H = c.hiddenSize;
  const M = Math.round(H * c.mlpRatio);
  const hd = H / c.numHeads;
  const embedder = (inp: number) => ({ in_layer: linearParams(H, inp), out_layer: linearParams(H, H) });
  // QK-RMSNorm scales, one per head dim
  const qkNorm = () => ({ query_norm: { scale: new Param(hd) }, key_norm: { scale: new Param(hd) } });
  const attention = () => ({ qkv: linearParams(3 * H, H), norm: qkNorm(), proj: linearParams(H, H) });
  const mlp = () => [linearParams(M, H), {}, linearParams(H, M)] as const; // mlp.1 is the GELU
  return {
    img_in: linearParams(H, c.inChannels),
    txt_in: linearParams(H, c.contextInDim),
    time_in: embedder(256),
    guidance_in: c.guidanceEmbed ? embedder(256) : undefined,
    vector_in: embedder(c.vecInDim),
    double_blocks: Array.from({ length: c.depth }, () => ({
      img_mod: { lin: linearParams(6 * H, H) },
      img_attn: attention(),
      img_mlp: mlp(),
      txt_mod: { lin: linearParams(6 * H, H) },
      txt_attn: attention(),
      txt_mlp: mlp(),
    })),
    single_blocks: Array.from({ length: c.depthSingleBlocks }, () => ({
      linear1: linearParams(3 * H + M, H), // q, k, v and the MLP's input, fused
      linear2: linearParams(H, H + M),
      norm: qkNorm(),
      modulation: { lin: linearParams(3 * H, H) },
    })),
    final_layer: { adaLN_modulation: [{}, linearParams(2 * H, H)] as const, linear: linearParams(c.inChannels, H) },
  };
}

export type FluxParams = ReturnType<typeof fluxParams>;

/** Every BFL key and shape of a FLUX config (what a checkpoint must hold), from fluxParams. */
export const fluxKeys = (c: FluxConfig): Map<string, number[]> => paramKeys(fluxParams(c));
