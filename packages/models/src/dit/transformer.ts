// Class-conditional DiT with adaLN-Zero (spec/dit.md §2–5), on diffusers DiTTransformer2DModel names,
// with facebookresearch/DiT's semantics (the weights were trained with them). The 'diffusers' mode
// reproduces stock diffusers instead (timestep frequencies /127, MLP-branch LayerNorm eps 1e-5).
// forward(): latent x [n, C, H₀, W₀] (any multiple of the patch), timesteps t [n], class ids y [n] → [n, C_out, H₀, W₀].
import { type Device, type Tensor, tensor, add, addMul, conv2d, permute, gather, silu } from '@cleardit/tensor';
import { type DitConfig, type DitParams, checkDitConfig, ditOutChannels, ditParams } from './config.js';
import { type Bound, bindParams } from '../params.js';
import { Weights } from '../weights.js';
import { timestepEmbedding, ditPosEmbed } from '../embeddings.js';
import { type LinearWeights, applyLinear, modulate, chunks, attend, mlp, siluLinear } from '../layers.js';
import { AttentionPlans, FULL, layerAttention, type AttentionMode } from '../attention-mode.js';

export type DitSemantics = 'dit' | 'diffusers';

export interface DitTaps {
  c?: (c: Tensor) => void;
  posEmbed?: (pos: Float32Array) => void;
  /** Block `layer`'s attention output [n, T, D], before to_out (distillation's L_attn); keep() what outlives the forward. */
  attention?: (layer: number, out: Tensor) => void;
}

export class DitTransformer {
  readonly family = 'dit';
  attention: AttentionMode = FULL;
  semantics: DitSemantics = 'dit';
  private plans: AttentionPlans;
  /** The parameters as declared in ditParams, read from `weights`. */
  readonly params: Bound<DitParams>;

  constructor(
    readonly device: Device,
    readonly config: DitConfig,
    readonly weights: Weights,
  ) {
    checkDitConfig(config);
    this.plans = new AttentionPlans(device);
    this.params = bindParams(ditParams(config), weights);
  }

  setAttention(mode: AttentionMode): void {
    this.attention = mode;
  }

  forward(x: Tensor, t: number[], y: number[], taps: DitTaps = {}): Tensor {
    const c = this.config;
    const d = this.device;
    return d.scope(() => {
      const [n, , h0, w0] = x.shape;
      const p = c.patchSize;
      if (h0 % p || w0 % p) throw new RangeError(`DiT: input ${h0}×${w0} is not a multiple of the patch size ${p}`);
      const [Gh, Gw] = [h0 / p, w0 / p];
      const T = Gh * Gw;
      const D = c.hiddenSize;
      const P = this.params;
      for (const label of y)
        if (!Number.isInteger(label) || label < 0 || label > c.numClasses)
          throw new RangeError(`DiT: class ${label} is outside 0..${c.numClasses} (${c.numClasses} is the null class)`);
      // patch embedding [n, D, Gh, Gw] → [n, T, D], plus the fixed 2-D table
      const pos = ditPosEmbed(Gh, D, Gw);
      taps.posEmbed?.(pos);
      let h = add(
        permute(conv2d(x, P.pos_embed.proj.weight, { bias: P.pos_embed.proj.bias, stride: p }).reshape([n, D, T]), [0, 2, 1]),
        tensor(d, pos, [1, T, D]),
      );
      // conditioning c = t_emb + y_emb, from block 0's embedder copy
      const e = P.transformer_blocks[0].norm1.emb!;
      const temb = timestepEmbedding(t, 256, { factor: 1, freqShift: this.semantics === 'diffusers' ? 1 : 0 });
      const tEmb = applyLinear(silu(applyLinear(tensor(d, temb, [n, 256]), e.timestep_embedder.linear_1)), e.timestep_embedder.linear_2);
      const yEmb = gather(e.class_embedder.embedding_table.weight, tensor(d, y, [n], 'i32'));
      const cond = add(tEmb, yEmb); // [n, D]
      taps.c?.(cond);
      const att = this.plans.forGeometry(this.attention, 0, Gh, Gw, D / c.numHeads);
      const mlpEps = this.semantics === 'diffusers' ? 1e-5 : 1e-6;
      P.transformer_blocks.forEach((B, i) => {
        const [sMsa, scMsa, gMsa, sMlp, scMlp, gMlp] = chunks(siluLinear(cond, B.norm1.linear.weight, B.norm1.linear.bias), 6);
        const a = modulate(h, sMsa, scMsa);
        const heads = (l: LinearWeights) => permute(applyLinear(a, l).reshape([n, T, c.numHeads, D / c.numHeads]), [0, 2, 1, 3]);
        // the pooling map (a CLEAR student with a down factor) is not a DiT parameter: read by name where a file has it
        const o = attend(
          heads(B.attn1.to_q),
          heads(B.attn1.to_k),
          heads(B.attn1.to_v),
          layerAttention(att, this.weights, `transformer_blocks.${i}.attn1.spatial_weight`),
        );
        taps.attention?.(i, o);
        h = addMul(h, gMsa, applyLinear(o, B.attn1.to_out[0]));
        const [fc1, , fc2] = B.ff.net;
        h = addMul(h, gMlp, mlp(modulate(h, sMlp, scMlp, mlpEps), fc1.proj.weight, fc1.proj.bias, fc2.weight, fc2.bias));
      });
      const [shift, scale] = chunks(siluLinear(cond, P.proj_out_1.weight, P.proj_out_1.bias), 2);
      const out = applyLinear(modulate(h, shift, scale), P.proj_out_2); // [n, T, p·p·C]
      // unpatchify, channel fastest: img[n, ch, i·p + a, j·p + b] = out[n, i·Gw + j, (a·p + b)·C + ch]
      const C = ditOutChannels(c);
      return permute(out.reshape([n, Gh, Gw, p, p, C]), [0, 5, 1, 3, 2, 4]).reshape([n, C, h0, w0]);
    });
  }

  dispose(): void {
    this.plans.dispose();
    this.weights.dispose();
  }
}
