// FLUX.1 configuration as plain data (BFL's FluxParams), with named presets (spec/flux.md §1).
import { ConfigError } from '../errors.js';
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

/** Every BFL key and shape of a FLUX config (what a checkpoint must hold). */
export function fluxKeys(c: FluxConfig): Map<string, number[]> {
  const H = c.hiddenSize;
  const M = Math.round(H * c.mlpRatio);
  const hd = H / c.numHeads;
  const k = new Map<string, number[]>();
  const lin = (name: string, out: number, inp: number) => {
    k.set(`${name}.weight`, [out, inp]);
    k.set(`${name}.bias`, [out]);
  };
  lin('img_in', H, c.inChannels);
  lin('txt_in', H, c.contextInDim);
  lin('time_in.in_layer', H, 256);
  lin('time_in.out_layer', H, H);
  if (c.guidanceEmbed) {
    lin('guidance_in.in_layer', H, 256);
    lin('guidance_in.out_layer', H, H);
  }
  lin('vector_in.in_layer', H, c.vecInDim);
  lin('vector_in.out_layer', H, H);
  for (let i = 0; i < c.depth; i++)
    for (const s of ['img', 'txt']) {
      const p = `double_blocks.${i}.${s}`;
      lin(`${p}_mod.lin`, 6 * H, H);
      lin(`${p}_attn.qkv`, 3 * H, H);
      k.set(`${p}_attn.norm.query_norm.scale`, [hd]);
      k.set(`${p}_attn.norm.key_norm.scale`, [hd]);
      lin(`${p}_attn.proj`, H, H);
      lin(`${p}_mlp.0`, M, H);
      lin(`${p}_mlp.2`, H, M);
    }
  for (let i = 0; i < c.depthSingleBlocks; i++) {
    const p = `single_blocks.${i}`;
    lin(`${p}.linear1`, 3 * H + M, H);
    lin(`${p}.linear2`, H, H + M);
    k.set(`${p}.norm.query_norm.scale`, [hd]);
    k.set(`${p}.norm.key_norm.scale`, [hd]);
    lin(`${p}.modulation.lin`, 3 * H, H);
  }
  lin('final_layer.adaLN_modulation.1', 2 * H, H);
  lin('final_layer.linear', c.inChannels, H);
  return k;
}
