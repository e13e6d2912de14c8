// The FLUX.1 transformer (spec/flux.md §2–7), in BFL's op order, on BFL parameter names.
// forward(): img [B, N, in], txt [B, T, ctx], ids, t, y, guidance → velocity [B, N, in].
// Attention is full or CLEAR for every layer (setAttention); the plan is built once per forward.
import { type Device, type Tensor, ShapeError, tensor, add, addMul, concat, slice, linear, rmsNorm, rope, silu, geluTanh } from '@cleardit/tensor';
import { type FluxConfig, checkFluxConfig } from './config.js';
import { Weights } from '../weights.js';
import { timestepEmbedding, fluxRope } from '../embeddings.js';
import { modulate, chunks, splitQkv, attend, mlp, siluLinear } from '../layers.js';
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

export class FluxTransformer {
  readonly family = 'flux';
  private plans: AttentionPlans;
  attention: AttentionMode = FULL;

  constructor(
    readonly device: Device,
    readonly config: FluxConfig,
    readonly weights: Weights,
  ) {
    checkFluxConfig(config);
    this.plans = new AttentionPlans(device);
  }

  setAttention(mode: AttentionMode): void {
    this.attention = mode;
  }

  private w(name: string): Tensor {
    return this.weights.get(name);
  }

  private lin(x: Tensor, name: string): Tensor {
    return linear(x, this.w(`${name}.weight`), this.w(`${name}.bias`));
  }

  private embedder(x: Tensor, name: string): Tensor {
    return this.lin(silu(this.lin(x, `${name}.in_layer`)), `${name}.out_layer`);
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
      let img = this.lin(inp.img, 'img_in'); // [B, N, C]
      let vec = this.embedder(tensor(d, timestepEmbedding(inp.timesteps, 256, { factor: 1000 }), [B, 256]), 'time_in');
      if (c.guidanceEmbed) {
        if (!inp.guidance) throw new ShapeError('FLUX', 'this model (guidance_embed) needs a guidance value per batch item');
        vec = add(vec, this.embedder(tensor(d, timestepEmbedding(inp.guidance, 256, { factor: 1000 }), [B, 256]), 'guidance_in'));
      }
      vec = add(vec, this.embedder(inp.y, 'vector_in')); // [B, C]
      taps.vec?.(vec);
      let txt = this.lin(inp.txt, 'txt_in'); // [B, T, C]
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
      const [shift, scale] = chunks(siluLinear(vec, this.w('final_layer.adaLN_modulation.1.weight'), this.w('final_layer.adaLN_modulation.1.bias')), 2);
      return this.lin(modulate(img, shift, scale), 'final_layer.linear'); // [B, N, in]
    });
  }

  /** QK-RMSNorm: each head vector x·(mean(x²) + 1e-6)^(−1/2)·scale, q and k with their own scales. */
  private qkNorm(q: Tensor, k: Tensor, prefix: string): [Tensor, Tensor] {
    return [rmsNorm(q, this.w(`${prefix}.query_norm.scale`), 1e-6), rmsNorm(k, this.w(`${prefix}.key_norm.scale`), 1e-6)];
  }

  private doubleBlock(i: number, img: Tensor, txt: Tensor, vec: Tensor, pe: Tensor, att: ForwardAttention, taps: FluxTaps): [Tensor, Tensor] {
    const p = `double_blocks.${i}`;
    const H = this.config.numHeads;
    const T = txt.shape[1];
    const [s1, sc1, g1, s2, sc2, g2] = chunks(siluLinear(vec, this.w(`${p}.img_mod.lin.weight`), this.w(`${p}.img_mod.lin.bias`)), 6);
    const [t1, tc1, tg1, t2, tc2, tg2] = chunks(siluLinear(vec, this.w(`${p}.txt_mod.lin.weight`), this.w(`${p}.txt_mod.lin.bias`)), 6);
    const [iq, ik, iv] = splitQkv(this.lin(modulate(img, s1, sc1), `${p}.img_attn.qkv`), H);
    const [tq, tk, tv] = splitQkv(this.lin(modulate(txt, t1, tc1), `${p}.txt_attn.qkv`), H);
    const [iqn, ikn] = this.qkNorm(iq, ik, `${p}.img_attn.norm`);
    const [tqn, tkn] = this.qkNorm(tq, tk, `${p}.txt_attn.norm`);
    const q = rope(concat([tqn, iqn], 2), pe);
    const k = rope(concat([tkn, ikn], 2), pe);
    const v = concat([tv, iv], 2);
    const a = attend(q, k, v, layerAttention(att, this.weights, `${p}.spatial_weight`)); // [B, L, C]
    taps.attention?.(i, a);
    const aTxt = slice(a, 1, 0, T);
    const aImg = slice(a, 1, T);
    img = addMul(img, g1, this.lin(aImg, `${p}.img_attn.proj`));
    img = addMul(
      img,
      g2,
      mlp(
        modulate(img, s2, sc2),
        this.w(`${p}.img_mlp.0.weight`),
        this.w(`${p}.img_mlp.0.bias`),
        this.w(`${p}.img_mlp.2.weight`),
        this.w(`${p}.img_mlp.2.bias`),
      ),
    );
    txt = addMul(txt, tg1, this.lin(aTxt, `${p}.txt_attn.proj`));
    txt = addMul(
      txt,
      tg2,
      mlp(
        modulate(txt, t2, tc2),
        this.w(`${p}.txt_mlp.0.weight`),
        this.w(`${p}.txt_mlp.0.bias`),
        this.w(`${p}.txt_mlp.2.weight`),
        this.w(`${p}.txt_mlp.2.bias`),
      ),
    );
    return [img, txt];
  }

  private singleBlock(i: number, x: Tensor, vec: Tensor, pe: Tensor, att: ForwardAttention, taps: FluxTaps): Tensor {
    const p = `single_blocks.${i}`;
    const C = this.config.hiddenSize;
    const [shift, scale, gate] = chunks(siluLinear(vec, this.w(`${p}.modulation.lin.weight`), this.w(`${p}.modulation.lin.bias`)), 3);
    const h = this.lin(modulate(x, shift, scale), `${p}.linear1`); // [B, L, 3C + M]
    const [q, k, v] = splitQkv(slice(h, 2, 0, 3 * C), this.config.numHeads);
    const [qn, kn] = this.qkNorm(q, k, `${p}.norm`);
    const a = attend(rope(qn, pe), rope(kn, pe), v, layerAttention(att, this.weights, `${p}.spatial_weight`)); // [B, L, C]
    taps.attention?.(this.config.depth + i, a);
    const out = this.lin(concat([a, geluTanh(slice(h, 2, 3 * C))], 2), `${p}.linear2`);
    return addMul(x, gate, out);
  }

  dispose(): void {
    this.plans.dispose();
    this.weights.dispose();
  }
}
