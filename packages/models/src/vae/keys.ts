// VAE decoder names: diffusers (canonical, incl. older query/key/value/proj_attn attention names) and
// LDM/BFL (FLUX's ae.safetensors, first_stage_model.* in SD checkpoints). Config from shapes.
import { type VaeConfig, vaeKeys } from './config.js';
import type { KeyMap } from '../mapping.js';

export const isVaeDecoder = (keys: Set<string>) => keys.has('decoder.conv_in.weight') && keys.has('decoder.conv_out.weight');
export const isVaeLdm = (keys: Set<string>) => [...keys].some((k) => k.startsWith('decoder.up.') || k.startsWith('decoder.mid.'));

const OLD_ATTN: Record<string, string> = { to_q: 'query', to_k: 'key', to_v: 'value', 'to_out.0': 'proj_attn' };

export function vaeDiffusersMap(c: VaeConfig, keys: Set<string>): KeyMap {
  const m: KeyMap = new Map();
  for (const k of vaeKeys(c).keys()) {
    const a = /^decoder\.mid_block\.attentions\.0\.(to_q|to_k|to_v|to_out\.0)\.(weight|bias)$/.exec(k);
    const old = a ? `decoder.mid_block.attentions.0.${OLD_ATTN[a[1]]}.${a[2]}` : undefined;
    m.set(k, { parts: [old && !keys.has(k) && keys.has(old) ? old : k] });
  }
  return m;
}

/** diffusers name → LDM name (golden README's table), with up-block order reversed. */
export function ldmName(k: string, nUp: number): string {
  return k
    .replace(/^decoder\.up_blocks\.(\d+)\.resnets\.(\d+)/, (_, i, j) => `decoder.up.${nUp - 1 - Number(i)}.block.${j}`)
    .replace(/^decoder\.up_blocks\.(\d+)\.upsamplers\.0/, (_, i) => `decoder.up.${nUp - 1 - Number(i)}.upsample`)
    .replace('conv_shortcut', 'nin_shortcut')
    .replace('decoder.mid_block.resnets.0', 'decoder.mid.block_1')
    .replace('decoder.mid_block.resnets.1', 'decoder.mid.block_2')
    .replace('decoder.mid_block.attentions.0.group_norm', 'decoder.mid.attn_1.norm')
    .replace(/decoder\.mid_block\.attentions\.0\.to_(q|k|v)/, 'decoder.mid.attn_1.$1')
    .replace('decoder.mid_block.attentions.0.to_out.0', 'decoder.mid.attn_1.proj_out')
    .replace('decoder.conv_norm_out', 'decoder.norm_out');
}

export function vaeLdmMap(c: VaeConfig, _keys: Set<string>): KeyMap {
  const m: KeyMap = new Map();
  for (const k of vaeKeys(c).keys()) m.set(k, { parts: [ldmName(k, c.blockOutChannels.length)] });
  return m;
}

/** Widths, depth and latent channels from shapes; scaling from the presence of post_quant_conv (SD) or not (FLUX). */
export function inferVaeConfig(keys: Set<string>, shape: (k: string) => readonly number[], ldm: boolean, hint: Partial<VaeConfig> = {}): VaeConfig {
  const up = (i: number) => (ldm ? `decoder.up.${i}.block` : `decoder.up_blocks.${i}.resnets`);
  let n = 0;
  while ([...keys].some((k) => k.startsWith(`${up(n)}.`))) n++;
  let per = 0;
  while (keys.has(`${up(0)}.${per}.conv1.weight`)) per++;
  // up_blocks.i (diffusers) has width reversed[i]; LDM's up.i has width block_out_channels[i]
  const widths = Array.from({ length: n }, (_, i) => shape(`${up(i)}.0.conv2.weight`)[0]);
  const blockOutChannels = ldm ? widths : widths.reverse();
  const postQuantConv = keys.has('post_quant_conv.weight');
  const [outChannels] = shape('decoder.conv_out.weight');
  const latentChannels = shape('decoder.conv_in.weight')[1];
  return {
    latentChannels,
    outChannels,
    blockOutChannels,
    layersPerBlock: per - 1,
    groups: 32,
    eps: 1e-6,
    scalingFactor: postQuantConv ? 0.18215 : 0.3611,
    shiftFactor: postQuantConv ? 0 : 0.1159,
    postQuantConv,
    ...hint,
  };
}
