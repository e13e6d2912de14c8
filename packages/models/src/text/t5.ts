// The T5 v1.1 encoder (transformers' T5EncoderModel; FLUX's T5-XXL), on transformers' checkpoint
// names. encode(): token ids [B, L] → last_hidden_state [B, L, d_model]. Pre-norm blocks with T5's
// layer norm (RMS, no mean, no bias), attention without 1/√d scaling plus a learned bias over
// bidirectional relative-position buckets (block 0's table, shared by every block), gated-GELU
// feed-forward (tanh GELU, "gelu_new"). No attention mask: FluxPipeline passes none, so padding
// tokens are attended to, as in the reference. Leaves out the decoder and T5 v1.0's ReLU FFN.
import { type Device, type Tensor, tensor, add, mul, geluTanh, linear, rmsNorm, permute, indexSelect, scaledDotProductAttention } from '@cleardit/tensor';
import { ConfigError } from '../errors.js';
import type { Weights } from '../weights.js';
import type { TokenTable } from './token-table.js';
import { type Bound, Param, bindParams, paramKeys } from '../params.js';

export interface T5Config {
  vocabSize: number;
  dModel: number;
  dKv: number;
  numHeads: number;
  dFf: number;
  numLayers: number;
  relativeBuckets: number;
  relativeMaxDistance: number;
  layerNormEps: number;
}

/** google/t5-v1_1-xxl's encoder, as FLUX.1 folders carry it in text_encoder_2/. */
export const T5_XXL: T5Config = {
  vocabSize: 32128,
  dModel: 4096,
  dKv: 64,
  numHeads: 64,
  dFf: 10240,
  numLayers: 24,
  relativeBuckets: 32,
  relativeMaxDistance: 128,
  layerNormEps: 1e-6,
};

/** transformers' config.json of a T5 encoder → T5Config, each field checked. */
export function t5ConfigFromJson(j: Record<string, unknown>, file = 'T5 config'): T5Config {
  const n = (k: string, fallback?: number) => {
    const v = j[k] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConfigError(`${file}: '${k}' is missing or not a number`);
    return v;
  };
  const ff = j.feed_forward_proj ?? 'relu';
  if (ff !== 'gated-gelu') throw new ConfigError(`${file}: feed_forward_proj '${String(ff)}' is not T5 v1.1's 'gated-gelu' (the only one cleardit runs)`);
  const c: T5Config = {
    vocabSize: n('vocab_size'),
    dModel: n('d_model'),
    dKv: n('d_kv'),
    numHeads: n('num_heads'),
    dFf: n('d_ff'),
    numLayers: n('num_layers'),
    relativeBuckets: n('relative_attention_num_buckets', 32),
    relativeMaxDistance: n('relative_attention_max_distance', 128),
    layerNormEps: n('layer_norm_epsilon', 1e-6),
  };
  for (const k of ['vocabSize', 'dModel', 'dKv', 'numHeads', 'dFf', 'numLayers', 'relativeBuckets', 'relativeMaxDistance'] as const)
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new ConfigError(`${file}: ${k} ${c[k]} is not a positive integer`);
  if (c.relativeBuckets % 2)
    throw new ConfigError(`${file}: relative_attention_num_buckets ${c.relativeBuckets} is odd (a bidirectional encoder splits them in two halves)`);
  return c;
}

/** The token table's name (some checkpoints also carry a copy as encoder.embed_tokens.weight). */
export const T5_TOKEN_TABLE = 'shared.weight';
export const T5_TOKEN_TABLE_COPY = 'encoder.embed_tokens.weight';

/**
 * A T5 encoder's device weights under transformers' names (the token table is apart: T5_TOKEN_TABLE).
 * No biases; the relative position bias table lives in block 0 and serves every block.
 */
export function t5EncoderParams(c: T5Config) {
  const inner = c.numHeads * c.dKv;
  const norm = () => ({ weight: new Param(c.dModel) });
  const w = (out: number, inp: number) => ({ weight: new Param(out, inp) });
  return {
    encoder: {
      block: Array.from({ length: c.numLayers }, (_, i) => ({
        layer: [
          {
            SelfAttention: {
              q: w(inner, c.dModel),
              k: w(inner, c.dModel),
              v: w(inner, c.dModel),
              o: w(c.dModel, inner),
              relative_attention_bias: i === 0 ? { weight: new Param(c.relativeBuckets, c.numHeads) } : undefined,
            },
            layer_norm: norm(),
          },
          { DenseReluDense: { wi_0: w(c.dFf, c.dModel), wi_1: w(c.dFf, c.dModel), wo: w(c.dModel, c.dFf) }, layer_norm: norm() },
        ] as const,
      })),
      final_layer_norm: norm(),
    },
  };
}

export type T5EncoderParams = ReturnType<typeof t5EncoderParams>;

/** Every device weight of a T5 encoder and its shape, from t5EncoderParams. */
export const t5EncoderKeys = (c: T5Config): Map<string, number[]> => paramKeys(t5EncoderParams(c));

/**
 * transformers' T5Attention._relative_position_bucket, bidirectional, for key j and query i
 * (relative position j − i): half the buckets for each sign; exact below half of a half, then
 * logarithmic up to max distance. Float steps are rounded to float32 as torch computes them.
 */
export function relativePositionBucket(relative: number, buckets: number, maxDistance: number): number {
  const half = buckets / 2;
  let bucket = relative > 0 ? half : 0;
  const n = Math.abs(relative);
  const exact = half / 2;
  if (n < exact) return bucket + n;
  const f = Math.fround;
  const large = exact + Math.trunc(f(f(f(Math.log(f(n / exact))) / f(Math.log(maxDistance / exact))) * (half - exact)));
  bucket += Math.min(large, half - 1);
  return bucket;
}

type SelfAttention = Bound<T5EncoderParams>['encoder']['block'][number]['layer'][0]['SelfAttention'];

export class T5Encoder {
  readonly family = 't5';
  /** The weights as declared in t5EncoderParams. */
  readonly params: Bound<T5EncoderParams>;

  constructor(
    readonly device: Device,
    readonly config: T5Config,
    readonly weights: Weights,
    readonly tokens: TokenTable,
  ) {
    this.params = bindParams(t5EncoderParams(config), weights);
  }

  private norm(x: Tensor, n: { readonly weight: Tensor }): Tensor {
    return rmsNorm(x, n.weight, this.config.layerNormEps);
  }

  /** ids: B rows of L token ids, row-major → last_hidden_state [B, L, d_model]. */
  encode(ids: Int32Array, batch: number): Tensor {
    const c = this.config;
    const d = this.device;
    const B = batch;
    const L = ids.length / B;
    if (!Number.isInteger(L) || L < 1) throw new ConfigError(`T5: ${ids.length} token ids do not make ${B} rows`);
    return d.scope(() => {
      let h = tensor(d, this.tokens.lookup(ids), [B, L, c.dModel]);
      const bias = this.positionBias(L); // [1, H, L, L]
      for (const { layer } of this.params.encoder.block) {
        const [attn, ff] = layer;
        h = add(h, this.selfAttention(this.norm(h, attn.layer_norm), attn.SelfAttention, bias));
        const x = this.norm(h, ff.layer_norm);
        const { wi_0, wi_1, wo } = ff.DenseReluDense;
        h = add(h, linear(mul(geluTanh(linear(x, wi_0.weight)), linear(x, wi_1.weight)), wo.weight)); // gated GELU
      }
      return this.norm(h, this.params.encoder.final_layer_norm);
    });
  }

  /** The learned bias of each (query, key) pair's bucket, [1, H, L, L]. */
  private positionBias(L: number): Tensor {
    const c = this.config;
    const idx = new Int32Array(L * L);
    for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) idx[i * L + j] = relativePositionBucket(j - i, c.relativeBuckets, c.relativeMaxDistance);
    const table = this.params.encoder.block[0].layer[0].SelfAttention.relative_attention_bias!.weight; // [buckets, H]
    const b = indexSelect(table, 0, tensor(this.device, idx, [L * L], 'i32')).reshape([L, L, c.numHeads]);
    return permute(b, [2, 0, 1]).reshape([1, c.numHeads, L, L]);
  }

  /** softmax(q kᵀ + bias) v: T5 folds the 1/√d scale into its initialisation, so the scores are not scaled. */
  private selfAttention(x: Tensor, p: SelfAttention, bias: Tensor): Tensor {
    const [B, L] = x.shape;
    const { numHeads: H, dKv: D } = this.config;
    const heads = (t: Tensor) => permute(t.reshape([B, L, H, D]), [0, 2, 1, 3]); // [B, H, L, D]
    const q = heads(linear(x, p.q.weight));
    const k = heads(linear(x, p.k.weight));
    const v = heads(linear(x, p.v.weight));
    const o = scaledDotProductAttention(q, k, v, { scale: 1, mask: bias }); // [B, H, L, D]
    return linear(permute(o, [0, 2, 1, 3]).reshape([B, L, H * D]), p.o.weight);
  }

  dispose(): void {
    this.weights.dispose();
  }
}
