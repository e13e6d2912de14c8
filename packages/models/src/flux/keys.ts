// FLUX checkpoint names: BFL's (canonical) and diffusers' (spec/flux.md §9–10), detection and config
// inference from tensor shapes.
import { type FluxConfig, fluxKeys } from './config.js';
import { type KeyMap, identityMap } from '../mapping.js';
import { ConfigError } from '../errors.js';

export function isFluxBfl(keys: Set<string>): boolean {
  return keys.has('img_in.weight') && [...keys].some((k) => k.startsWith('double_blocks.'));
}

export function isFluxDiffusers(keys: Set<string>): boolean {
  return keys.has('x_embedder.weight') && keys.has('context_embedder.weight');
}

/**
 * diffusers' FluxTransformer2DModel names for each canonical (BFL) key, matched on the whole key:
 * $1 is the block index, $2 'weight' or 'bias'. Fused BFL tensors come from several diffusers
 * tensors concatenated along rows; diffusers' final modulation stores (scale, shift), BFL's (shift, scale).
 */
const DIFFUSERS_NAMES: [RegExp, string[], { swapHalves?: boolean }?][] = [
  [/^img_in\.(weight|bias)$/, ['x_embedder.$1']],
  [/^txt_in\.(weight|bias)$/, ['context_embedder.$1']],
  [/^time_in\.in_layer\.(weight|bias)$/, ['time_text_embed.timestep_embedder.linear_1.$1']],
  [/^time_in\.out_layer\.(weight|bias)$/, ['time_text_embed.timestep_embedder.linear_2.$1']],
  [/^guidance_in\.in_layer\.(weight|bias)$/, ['time_text_embed.guidance_embedder.linear_1.$1']],
  [/^guidance_in\.out_layer\.(weight|bias)$/, ['time_text_embed.guidance_embedder.linear_2.$1']],
  [/^vector_in\.in_layer\.(weight|bias)$/, ['time_text_embed.text_embedder.linear_1.$1']],
  [/^vector_in\.out_layer\.(weight|bias)$/, ['time_text_embed.text_embedder.linear_2.$1']],
  [/^double_blocks\.(\d+)\.img_mod\.lin\.(weight|bias)$/, ['transformer_blocks.$1.norm1.linear.$2']],
  [/^double_blocks\.(\d+)\.txt_mod\.lin\.(weight|bias)$/, ['transformer_blocks.$1.norm1_context.linear.$2']],
  [/^double_blocks\.(\d+)\.img_attn\.qkv\.(weight|bias)$/, ['to_q', 'to_k', 'to_v'].map((t) => `transformer_blocks.$1.attn.${t}.$2`)],
  [/^double_blocks\.(\d+)\.txt_attn\.qkv\.(weight|bias)$/, ['add_q_proj', 'add_k_proj', 'add_v_proj'].map((t) => `transformer_blocks.$1.attn.${t}.$2`)],
  [/^double_blocks\.(\d+)\.img_attn\.norm\.query_norm\.scale$/, ['transformer_blocks.$1.attn.norm_q.weight']],
  [/^double_blocks\.(\d+)\.img_attn\.norm\.key_norm\.scale$/, ['transformer_blocks.$1.attn.norm_k.weight']],
  [/^double_blocks\.(\d+)\.txt_attn\.norm\.query_norm\.scale$/, ['transformer_blocks.$1.attn.norm_added_q.weight']],
  [/^double_blocks\.(\d+)\.txt_attn\.norm\.key_norm\.scale$/, ['transformer_blocks.$1.attn.norm_added_k.weight']],
  [/^double_blocks\.(\d+)\.img_attn\.proj\.(weight|bias)$/, ['transformer_blocks.$1.attn.to_out.0.$2']],
  [/^double_blocks\.(\d+)\.txt_attn\.proj\.(weight|bias)$/, ['transformer_blocks.$1.attn.to_add_out.$2']],
  [/^double_blocks\.(\d+)\.img_mlp\.0\.(weight|bias)$/, ['transformer_blocks.$1.ff.net.0.proj.$2']],
  [/^double_blocks\.(\d+)\.img_mlp\.2\.(weight|bias)$/, ['transformer_blocks.$1.ff.net.2.$2']],
  [/^double_blocks\.(\d+)\.txt_mlp\.0\.(weight|bias)$/, ['transformer_blocks.$1.ff_context.net.0.proj.$2']],
  [/^double_blocks\.(\d+)\.txt_mlp\.2\.(weight|bias)$/, ['transformer_blocks.$1.ff_context.net.2.$2']],
  [/^single_blocks\.(\d+)\.linear1\.(weight|bias)$/, ['attn.to_q', 'attn.to_k', 'attn.to_v', 'proj_mlp'].map((t) => `single_transformer_blocks.$1.${t}.$2`)],
  [/^single_blocks\.(\d+)\.linear2\.(weight|bias)$/, ['single_transformer_blocks.$1.proj_out.$2']],
  [/^single_blocks\.(\d+)\.norm\.query_norm\.scale$/, ['single_transformer_blocks.$1.attn.norm_q.weight']],
  [/^single_blocks\.(\d+)\.norm\.key_norm\.scale$/, ['single_transformer_blocks.$1.attn.norm_k.weight']],
  [/^single_blocks\.(\d+)\.modulation\.lin\.(weight|bias)$/, ['single_transformer_blocks.$1.norm.linear.$2']],
  [/^final_layer\.adaLN_modulation\.1\.(weight|bias)$/, ['norm_out.linear.$1'], { swapHalves: true }],
  [/^final_layer\.linear\.(weight|bias)$/, ['proj_out.$1']],
];

/** canonical BFL key (fluxParams) → the diffusers tensors it comes from. */
export function fluxDiffusersMap(c: FluxConfig): KeyMap {
  const m: KeyMap = new Map();
  for (const key of fluxKeys(c).keys()) {
    const rule = DIFFUSERS_NAMES.find(([re]) => re.test(key));
    if (!rule) throw new ConfigError(`FLUX: no diffusers name for the parameter '${key}' (add its rule to DIFFUSERS_NAMES)`);
    const [re, parts, extra] = rule;
    m.set(key, { parts: parts.map((p) => key.replace(re, p)), ...extra });
  }
  return m;
}

export function fluxBflMap(c: FluxConfig): KeyMap {
  return identityMap(fluxKeys(c).keys());
}

const count = (keys: Set<string>, re: RegExp) => {
  let n = 0;
  for (const k of keys) {
    const m = re.exec(k);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
};

/** A FluxConfig from tensor shapes. axes_dim is only implied by head dim 128 (FLUX.1's [16, 56, 56]). */
export function inferFluxConfig(keys: Set<string>, shape: (k: string) => readonly number[], diffusers: boolean): FluxConfig {
  const k = (bfl: string, dif: string) => shape(diffusers ? dif : bfl);
  const [H, inChannels] = k('img_in.weight', 'x_embedder.weight');
  const headDim = k('double_blocks.0.img_attn.norm.query_norm.scale', 'transformer_blocks.0.attn.norm_q.weight')[0];
  if (headDim !== 128) throw new ConfigError(`FLUX: head dim ${headDim} does not determine axes_dim; give the config in the file's __metadata__.config`);
  return {
    inChannels,
    vecInDim: k('vector_in.in_layer.weight', 'time_text_embed.text_embedder.linear_1.weight')[1],
    contextInDim: k('txt_in.weight', 'context_embedder.weight')[1],
    hiddenSize: H,
    mlpRatio: k('double_blocks.0.img_mlp.0.weight', 'transformer_blocks.0.ff.net.0.proj.weight')[0] / H,
    numHeads: H / headDim,
    depth: count(keys, diffusers ? /^transformer_blocks\.(\d+)\./ : /^double_blocks\.(\d+)\./),
    depthSingleBlocks: count(keys, diffusers ? /^single_transformer_blocks\.(\d+)\./ : /^single_blocks\.(\d+)\./),
    axesDim: [16, 56, 56],
    theta: 10000,
    qkvBias: keys.has(diffusers ? 'transformer_blocks.0.attn.to_q.bias' : 'double_blocks.0.img_attn.qkv.bias'),
    guidanceEmbed: keys.has(diffusers ? 'time_text_embed.guidance_embedder.linear_1.weight' : 'guidance_in.in_layer.weight'),
  };
}
