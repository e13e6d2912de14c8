// The CLIP text transformer (transformers' CLIPTextModel; FLUX's CLIP-L), on transformers' checkpoint
// names without the `text_model.` prefix (load.ts accepts both). encode(): token ids [B, L] →
// last_hidden_state [B, L, C] and pooler_output [B, C] (the final-LayerNorm state at the first
// end-of-text token, which FLUX takes as its vector input y). Pre-LayerNorm blocks, causal mask,
// quick-GELU MLP. Leaves out the projection head (CLIPTextModelWithProjection) and attention masks
// (FluxPipeline passes none).
import {
  type Device,
  type Tensor,
  tensor,
  add,
  mul,
  mulScalar,
  sigmoid,
  geluErf,
  linear,
  layerNorm,
  permute,
  reshape,
  slice,
  indexSelect,
  scaledDotProductAttention,
} from '@cleardit/tensor';
import { ConfigError } from '../errors.js';
import type { Weights } from '../weights.js';
import type { TokenTable } from './token-table.js';
import type { LinearWeights } from '../layers.js';
import { type Bound, Param, bindParams, linearParams, paramKeys } from '../params.js';

export interface ClipTextConfig {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numHeads: number;
  numLayers: number;
  maxPositions: number;
  /** quick_gelu (CLIP-L) or gelu (exact, as OpenCLIP's bigG). */
  hiddenAct: 'quick_gelu' | 'gelu';
  layerNormEps: number;
  eosTokenId: number;
}

/** openai/clip-vit-large-patch14's text model, as FLUX.1 folders carry it in text_encoder/. */
export const CLIP_L: ClipTextConfig = {
  vocabSize: 49408,
  hiddenSize: 768,
  intermediateSize: 3072,
  numHeads: 12,
  numLayers: 12,
  maxPositions: 77,
  hiddenAct: 'quick_gelu',
  layerNormEps: 1e-5,
  eosTokenId: 49407,
};

/** The end-of-text token of the CLIP BPE vocabulary (legacy configs say eos_token_id 2; the pooled token is this one). */
export const CLIP_END_OF_TEXT = 49407;

/** transformers' config.json of a CLIPTextModel → ClipTextConfig, each field checked. */
export function clipTextConfigFromJson(j: Record<string, unknown>, file = 'CLIP config'): ClipTextConfig {
  const n = (k: string, fallback?: number) => {
    const v = j[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${file}: '${k}' is missing or not a number`);
    return v;
  };
  const act = j.hidden_act ?? 'quick_gelu';
  if (act !== 'quick_gelu' && act !== 'gelu') throw new ConfigError(`${file}: hidden_act '${String(act)}' is not one cleardit runs (quick_gelu, gelu)`);
  const eos = n('eos_token_id', CLIP_END_OF_TEXT);
  const c: ClipTextConfig = {
    vocabSize: n('vocab_size'),
    hiddenSize: n('hidden_size'),
    intermediateSize: n('intermediate_size'),
    numHeads: n('num_attention_heads'),
    numLayers: n('num_hidden_layers'),
    maxPositions: n('max_position_embeddings'),
    hiddenAct: act,
    layerNormEps: n('layer_norm_eps', 1e-5),
    eosTokenId: eos === 2 ? CLIP_END_OF_TEXT : eos, // transformers' legacy rule: eos 2 means "the highest id", which is 49407
  };
  for (const k of ['vocabSize', 'hiddenSize', 'intermediateSize', 'numHeads', 'numLayers', 'maxPositions'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ConfigError(`${file}: ${k} ${c[k]} is not a positive integer`);
  if (c.hiddenSize % c.numHeads) throw new ConfigError(`${file}: hidden_size ${c.hiddenSize} is not a multiple of ${c.numHeads} attention heads`);
  return c;
}

/** The token table's name; it stays on the host (token-table.ts). */
export const CLIP_TOKEN_TABLE = 'embeddings.token_embedding.weight';

/** A CLIP text model's device weights under transformers' names (the token table is apart: CLIP_TOKEN_TABLE). */
export function clipTextParams(c: ClipTextConfig) {
  const C = c.hiddenSize;
  const norm = () => ({ weight: new Param(C), bias: new Param(C) });
  return {
    embeddings: { position_embedding: { weight: new Param(c.maxPositions, C) } },
    encoder: {
      layers: Array.from({ length: c.numLayers }, () => ({
        self_attn: { q_proj: linearParams(C, C), k_proj: linearParams(C, C), v_proj: linearParams(C, C), out_proj: linearParams(C, C) },
        layer_norm1: norm(),
        layer_norm2: norm(),
        mlp: { fc1: linearParams(c.intermediateSize, C), fc2: linearParams(C, c.intermediateSize) },
      })),
    },
    final_layer_norm: norm(),
  };
}

export type ClipTextParams = ReturnType<typeof clipTextParams>;

/** Every device weight of a CLIP text model and its shape, from clipTextParams. */
export const clipTextKeys = (c: ClipTextConfig): Map<string, number[]> => paramKeys(clipTextParams(c));

export interface ClipTextOutput {
  hidden: Tensor; // [B, L, C] last_hidden_state
  pooled: Tensor; // [B, C] pooler_output
}

type SelfAttention = Bound<ClipTextParams>['encoder']['layers'][number]['self_attn'];

export class ClipTextModel {
  readonly family = 'clip';
  /** The weights as declared in clipTextParams. */
  readonly params: Bound<ClipTextParams>;

  constructor(
    readonly device: Device,
    readonly config: ClipTextConfig,
    readonly weights: Weights,
    readonly tokens: TokenTable,
  ) {
    this.params = bindParams(clipTextParams(config), weights);
  }

  private lin(x: Tensor, l: LinearWeights): Tensor {
    return linear(x, l.weight, l.bias);
  }

  private norm(x: Tensor, n: LinearWeights): Tensor {
    return layerNorm(x, { weight: n.weight, bias: n.bias, eps: this.config.layerNormEps });
  }

  /** ids: B rows of L token ids (L ≤ max positions), row-major. */
  encode(ids: Int32Array, batch: number): ClipTextOutput {
    const c = this.config;
    const d = this.device;
    const B = batch;
    const L = ids.length / B;
    if (!Number.isInteger(L) || L < 1 || L > c.maxPositions)
      throw new ConfigError(`CLIP: ${ids.length} token ids do not make ${B} rows of at most ${c.maxPositions}`);
    const eos = Array.from({ length: B }, (_, b) => {
      const at = ids.subarray(b * L, (b + 1) * L).indexOf(c.eosTokenId);
      if (at < 0) throw new ConfigError(`CLIP: row ${b} of the token ids has no end-of-text token ${c.eosTokenId} (the pooled output is taken there)`);
      return b * L + at;
    });
    return d.scope(() => {
      const C = c.hiddenSize;
      const P = this.params;
      const pos = slice(P.embeddings.position_embedding.weight, 0, 0, L).reshape([1, L, C]);
      let h = add(tensor(d, this.tokens.lookup(ids), [B, L, C]), pos); // [B, L, C]
      const mask = tensor(d, causalMask(L), [1, 1, L, L]);
      for (const layer of P.encoder.layers) {
        h = add(h, this.selfAttention(this.norm(h, layer.layer_norm1), layer.self_attn, mask));
        h = add(h, this.lin(this.act(this.lin(this.norm(h, layer.layer_norm2), layer.mlp.fc1)), layer.mlp.fc2));
      }
      const hidden = this.norm(h, P.final_layer_norm);
      const pooled = indexSelect(reshape(hidden, [B * L, C]), 0, tensor(d, eos, [B], 'i32')); // [B, C]
      return { hidden, pooled };
    });
  }

  private act(x: Tensor): Tensor {
    return this.config.hiddenAct === 'gelu' ? geluErf(x) : mul(x, sigmoid(mulScalar(x, 1.702)));
  }

  /** x [B, L, C] → softmax(q kᵀ/√D + mask) v, heads split head-major as transformers does. */
  private selfAttention(x: Tensor, p: SelfAttention, mask: Tensor): Tensor {
    const [B, L, C] = x.shape;
    const H = this.config.numHeads;
    const heads = (t: Tensor) => permute(t.reshape([B, L, H, C / H]), [0, 2, 1, 3]); // [B, H, L, D]
    const o = scaledDotProductAttention(heads(this.lin(x, p.q_proj)), heads(this.lin(x, p.k_proj)), heads(this.lin(x, p.v_proj)), { mask });
    return this.lin(permute(o, [0, 2, 1, 3]).reshape([B, L, C]), p.out_proj);
  }

  dispose(): void {
    this.weights.dispose();
  }
}

/** [L, L] additive: 0 on and below the diagonal, a large negative number above (a token sees itself and what precedes it). */
export function causalMask(L: number): Float32Array {
  const m = new Float32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < L; j++) m[i * L + j] = -1e30;
  return m;
}
