// The FLUX.1 transformer (spec/flux.md §2–7), in BFL's op order, on BFL parameter names.
// forward(): img [B, N, in], txt [B, T, ctx], ids, t, y, guidance → velocity [B, N, in].
// Attention is full or CLEAR for every layer (setAttention); the plan is built once per forward.
import { type Device, type Tensor, ShapeError, tensor, add, addMul, concat, slice, rmsNorm, rope, silu, geluTanh } from '@cleardit/tensor';
import { type FluxConfig, type FluxParams, checkFluxConfig, fluxParams } from './config.js';
import { type Bound, bindParams } from '../params.js';
import { Weights } from '../weights.js';
import { timestepEmbedding, fluxRope } from '../embeddings.js';
import { type LinearWeights, applyLinear, modulate, chunks, splitQkv, attend, mlp, siluLinear } from '../layers.js';
import { AttentionPlans, FULL, layerAttention, type AttentionMode, type ForwardAttention } from '../attention-mode.js';

export interface FluxInputs {
  img: Tensor; // [B, N, in_channels]
  imgIds: Float32Array; // [N, 3] (0, row, col), the same for every batch item
  txt: Tensor; // [B, T, context_in_dim]
  txtIds?: Float32Array; // [T, 3], zeros by default
  timesteps: number[]; // [B], t ∈ [0, 1]
  y: Tensor; // [B, vec_in_dim]
  guidance?: number[]; // [B], dev only
}

/** Intermediate values a caller may want (golden files compare them). */
export interface FluxTaps {
  vec?: (t: Tensor) => void;
  pe?: (pe: Float32Array) => void;
  double0?: (img: Tensor, txt: Tensor) => void;
  /**
   * The attention output [B, T + N, C] of processor `layer` (double blocks 0…depth−1, then single
   * blocks), before any projection (distillation's L_attn); keep() what outlives the forward.
   */
  attention?: (layer: number, out: Tensor) => void;
}

type QkNorm = Bound<FluxParams>['single_blocks'][number]['norm'];
/** FLUX's MLPEmbedder: out_layer(silu(in_layer(x))). */
const embedder = (x: Tensor, e: { readonly in_layer: LinearWeights; readonly out_layer: LinearWeights }) =>
  applyLinear(silu(applyLinear(x, e.in_layer)), e.out_layer);

export class FluxTransformer {
  readonly family = 'flux';
  private plans: AttentionPlans;
  attention: AttentionMode = FULL;
  /** The parameters as declared in fluxParams, read from `weights`. */
  readonly params: Bound<FluxParams>;

  constructor(
    readonly device: Device,
    readonly config: FluxConfig,
    readonly weights: Weights,
  ) {
    checkFluxConfig(config);
    this.plans = new AttentionPlans(device);
    this.params = bindParams(fluxParams(config), weights);
  }

  setAttention(mode: AttentionMode): void {
    this.attention = mode;
  }

  /** The image grid from (0, row, col) ids; CLEAR needs row-major order. */
  private grid(ids: Float32Array, n: number): { height: number; width: number } {
    let h = 0;
    let w = 0;
    for (let i = 0; i < n; i++) {
      h = Math.max(h, ids[i * 3 + 1] + 1);
      w = Math.max(w, ids[i * 3 + 2] + 1);
    }
    if (this.attention.kind === 'clear') {
      if (h * w !== n) throw new ShapeError('FLUX', `${n} image tokens do not form the ${h}×${w} grid their ids describe`);
      for (let i = 0; i < n; i++)
        if (ids[i * 3 + 1] !== Math.floor(i / w) || ids[i * 3 + 2] !== i % w)
          throw new ShapeError('FLUX', 'CLEAR needs image ids (0, row, col) in row-major order');
    }
    return { height: h, width: w };
  }

  forward(inp: FluxInputs, taps: FluxTaps = {}): Tensor {
    const c = this.config;
    const d = this.device;
    return d.scope(() => {
      const [B, N] = inp.img.shape;
      const T = inp.txt.shape[1];
      const headDim = c.hiddenSize / c.numHeads;
      const P = this.params;
      let img = applyLinear(inp.img, P.img_in); // [B, N, C]
      let vec = embedder(tensor(d, timestepEmbedding(inp.timesteps, 256, { factor: 1000 }), [B, 256]), P.time_in);
      if (P.guidance_in) {
        if (!inp.guidance) throw new ShapeError('FLUX', 'this model (guidance_embed) needs a guidance value per batch item');
        vec = add(vec, embedder(tensor(d, timestepEmbedding(inp.guidance, 256, { factor: 1000 }), [B, 256]), P.guidance_in));
      }
      vec = add(vec, embedder(inp.y, P.vector_in)); // [B, C]
      taps.vec?.(vec);
      let txt = applyLinear(inp.txt, P.txt_in); // [B, T, C]
      const ids = new Float32Array((T + N) * 3);
      if (inp.txtIds) ids.set(inp.txtIds);
      ids.set(inp.imgIds.subarray(0, N * 3), T * 3);
      const peHost = fluxRope(ids, T + N, c.axesDim, c.theta);
      taps.pe?.(peHost);
      const pe = tensor(d, peHost, [T + N, headDim / 2, 2, 2]);
      const { height, width } = this.grid(inp.imgIds, N);
      const att = this.plans.forGeometry(this.attention, T, height, width, headDim);

      for (let i = 0; i < c.depth; i++) {
        [img, txt] = this.doubleBlock(i, img, txt, vec, pe, att, taps);
        if (i === 0) taps.double0?.(img, txt);
      }
      let x = concat([txt, img], 1); // [B, L, C]
      for (let i = 0; i < c.depthSingleBlocks; i++) x = this.singleBlock(i, x, vec, pe, att, taps);
      img = slice(x, 1, T);
      const final = P.final_layer;
      const [shift, scale] = chunks(siluLinear(vec, final.adaLN_modulation[1].weight, final.adaLN_modulation[1].bias), 2);
      return applyLinear(modulate(img, shift, scale), final.linear); // [B, N, in]
    });
  }

  /** QK-RMSNorm: each head vector x·(mean(x²) + 1e-6)^(−1/2)·scale, q and k with their own scales. */
  private qkNorm(q: Tensor, k: Tensor, norm: QkNorm): [Tensor, Tensor] {
    return [rmsNorm(q, norm.query_norm.scale, 1e-6), rmsNorm(k, norm.key_norm.scale, 1e-6)];
  }

  private doubleBlock(i: number, img: Tensor, txt: Tensor, vec: Tensor, pe: Tensor, att: ForwardAttention, taps: FluxTaps): [Tensor, Tensor] {
    const P = this.params.double_blocks[i];
    const H = this.config.numHeads;
    const T = txt.shape[1];
    const [s1, sc1, g1, s2, sc2, g2] = chunks(siluLinear(vec, P.img_mod.lin.weight, P.img_mod.lin.bias), 6);
    const [t1, tc1, tg1, t2, tc2, tg2] = chunks(siluLinear(vec, P.txt_mod.lin.weight, P.txt_mod.lin.bias), 6);
    const [iq, ik, iv] = splitQkv(applyLinear(modulate(img, s1, sc1), P.img_attn.qkv), H);
    const [tq, tk, tv] = splitQkv(applyLinear(modulate(txt, t1, tc1), P.txt_attn.qkv), H);
    const [iqn, ikn] = this.qkNorm(iq, ik, P.img_attn.norm);
    const [tqn, tkn] = this.qkNorm(tq, tk, P.txt_attn.norm);
    const q = rope(concat([tqn, iqn], 2), pe);
    const k = rope(concat([tkn, ikn], 2), pe);
    const v = concat([tv, iv], 2);
    // the pooling map (a CLEAR student with a down factor) is not a FLUX parameter: read by name where a file has it
    const a = attend(q, k, v, layerAttention(att, this.weights, `double_blocks.${i}.spatial_weight`)); // [B, L, C]
    taps.attention?.(i, a);
    const aTxt = slice(a, 1, 0, T);
    const aImg = slice(a, 1, T);
    img = addMul(img, g1, applyLinear(aImg, P.img_attn.proj));
    img = addMul(img, g2, mlp(modulate(img, s2, sc2), P.img_mlp[0].weight, P.img_mlp[0].bias, P.img_mlp[2].weight, P.img_mlp[2].bias));
    txt = addMul(txt, tg1, applyLinear(aTxt, P.txt_attn.proj));
    txt = addMul(txt, tg2, mlp(modulate(txt, t2, tc2), P.txt_mlp[0].weight, P.txt_mlp[0].bias, P.txt_mlp[2].weight, P.txt_mlp[2].bias));
    return [img, txt];
  }

  private singleBlock(i: number, x: Tensor, vec: Tensor, pe: Tensor, att: ForwardAttention, taps: FluxTaps): Tensor {
    const P = this.params.single_blocks[i];
    const C = this.config.hiddenSize;
    const [shift, scale, gate] = chunks(siluLinear(vec, P.modulation.lin.weight, P.modulation.lin.bias), 3);
    const h = applyLinear(modulate(x, shift, scale), P.linear1); // [B, L, 3C + M]
    const [q, k, v] = splitQkv(slice(h, 2, 0, 3 * C), this.config.numHeads);
    const [qn, kn] = this.qkNorm(q, k, P.norm);
    const a = attend(rope(qn, pe), rope(kn, pe), v, layerAttention(att, this.weights, `single_blocks.${i}.spatial_weight`)); // [B, L, C]
    taps.attention?.(this.config.depth + i, a);
    const out = applyLinear(concat([a, geluTanh(slice(h, 2, 3 * C))], 2), P.linear2);
    return addMul(x, gate, out);
  }

  dispose(): void {
    this.plans.dispose();
    this.weights.dispose();
  }
}
