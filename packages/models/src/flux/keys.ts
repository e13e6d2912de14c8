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

/** canonical BFL key → the diffusers tensors it comes from. */
export function fluxDiffusersMap(c: FluxConfig): KeyMap {
  const m: KeyMap = new Map();
  const both = (bfl: string, dif: string | string[], extra: { swapHalves?: boolean } = {}) => {
    for (const s of ['weight', 'bias']) m.set(`${bfl}.${s}`, { parts: (Array.isArray(dif) ? dif : [dif]).map((d) => `${d}.${s}`), ...extra });
  };
  both('img_in', 'x_embedder');
  both('txt_in', 'context_embedder');
  both('time_in.in_layer', 'time_text_embed.timestep_embedder.linear_1');
  both('time_in.out_layer', 'time_text_embed.timestep_embedder.linear_2');
  if (c.guidanceEmbed) {
    both('guidance_in.in_layer', 'time_text_embed.guidance_embedder.linear_1');
    both('guidance_in.out_layer', 'time_text_embed.guidance_embedder.linear_2');
  }
  both('vector_in.in_layer', 'time_text_embed.text_embedder.linear_1');
  both('vector_in.out_layer', 'time_text_embed.text_embedder.linear_2');
  for (let i = 0; i < c.depth; i++) {
    const b = `double_blocks.${i}`;
    const d = `transformer_blocks.${i}`;
    both(`${b}.img_mod.lin`, `${d}.norm1.linear`);
    both(`${b}.txt_mod.lin`, `${d}.norm1_context.linear`);
    both(`${b}.img_attn.qkv`, [`${d}.attn.to_q`, `${d}.attn.to_k`, `${d}.attn.to_v`]);
    both(`${b}.txt_attn.qkv`, [`${d}.attn.add_q_proj`, `${d}.attn.add_k_proj`, `${d}.attn.add_v_proj`]);
    m.set(`${b}.img_attn.norm.query_norm.scale`, { parts: [`${d}.attn.norm_q.weight`] });
    m.set(`${b}.img_attn.norm.key_norm.scale`, { parts: [`${d}.attn.norm_k.weight`] });
    m.set(`${b}.txt_attn.norm.query_norm.scale`, { parts: [`${d}.attn.norm_added_q.weight`] });
    m.set(`${b}.txt_attn.norm.key_norm.scale`, { parts: [`${d}.attn.norm_added_k.weight`] });
    both(`${b}.img_attn.proj`, `${d}.attn.to_out.0`);
    both(`${b}.txt_attn.proj`, `${d}.attn.to_add_out`);
    both(`${b}.img_mlp.0`, `${d}.ff.net.0.proj`);
    both(`${b}.img_mlp.2`, `${d}.ff.net.2`);
    both(`${b}.txt_mlp.0`, `${d}.ff_context.net.0.proj`);
    both(`${b}.txt_mlp.2`, `${d}.ff_context.net.2`);
  }
  for (let i = 0; i < c.depthSingleBlocks; i++) {
    const b = `single_blocks.${i}`;
    const d = `single_transformer_blocks.${i}`;
    both(`${b}.linear1`, [`${d}.attn.to_q`, `${d}.attn.to_k`, `${d}.attn.to_v`, `${d}.proj_mlp`]);
    both(`${b}.linear2`, `${d}.proj_out`);
    m.set(`${b}.norm.query_norm.scale`, { parts: [`${d}.attn.norm_q.weight`] });
    m.set(`${b}.norm.key_norm.scale`, { parts: [`${d}.attn.norm_k.weight`] });
    both(`${b}.modulation.lin`, `${d}.norm.linear`);
  }
  both('final_layer.adaLN_modulation.1', 'norm_out.linear', { swapHalves: true });
  both('final_layer.linear', 'proj_out');
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
