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

/** Every device weight of a T5 encoder and its shape (the token table is apart). */
export function t5EncoderKeys(c: T5Config): Map<string, number[]> {
  const inner = c.numHeads * c.dKv;
  const k = new Map<string, number[]>();
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.block.${i}.layer`;
    for (const w of ['q', 'k', 'v']) k.set(`${p}.0.SelfAttention.${w}.weight`, [inner, c.dModel]);
    k.set(`${p}.0.SelfAttention.o.weight`, [c.dModel, inner]);
    if (i === 0) k.set(`${p}.0.SelfAttention.relative_attention_bias.weight`, [c.relativeBuckets, c.numHeads]);
    k.set(`${p}.0.layer_norm.weight`, [c.dModel]);
    k.set(`${p}.1.DenseReluDense.wi_0.weight`, [c.dFf, c.dModel]);
    k.set(`${p}.1.DenseReluDense.wi_1.weight`, [c.dFf, c.dModel]);
    k.set(`${p}.1.DenseReluDense.wo.weight`, [c.dModel, c.dFf]);
    k.set(`${p}.1.layer_norm.weight`, [c.dModel]);
  }
  k.set('encoder.final_layer_norm.weight', [c.dModel]);
  return k;
}

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

export class T5Encoder {
  readonly family = 't5';

  constructor(
    readonly device: Device,
    readonly config: T5Config,
    readonly weights: Weights,
    readonly tokens: TokenTable,
  ) {}

  private w(name: string): Tensor {
    return this.weights.get(name);
  }

  private norm(x: Tensor, name: string): Tensor {
    return rmsNorm(x, this.w(`${name}.weight`), this.config.layerNormEps);
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
      for (let i = 0; i < c.numLayers; i++) {
        const p = `encoder.block.${i}.layer`;
        h = add(h, this.selfAttention(this.norm(h, `${p}.0.layer_norm`), `${p}.0.SelfAttention`, bias));
        const x = this.norm(h, `${p}.1.layer_norm`);
        const gated = mul(geluTanh(linear(x, this.w(`${p}.1.DenseReluDense.wi_0.weight`))), linear(x, this.w(`${p}.1.DenseReluDense.wi_1.weight`)));
        h = add(h, linear(gated, this.w(`${p}.1.DenseReluDense.wo.weight`)));
      }
      return this.norm(h, 'encoder.final_layer_norm');
    });
  }

  /** The learned bias of each (query, key) pair's bucket, [1, H, L, L]. */
  private positionBias(L: number): Tensor {
    const c = this.config;
    const idx = new Int32Array(L * L);
    for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) idx[i * L + j] = relativePositionBucket(j - i, c.relativeBuckets, c.relativeMaxDistance);
    const table = this.w('encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight'); // [buckets, H]
    const b = indexSelect(table, 0, tensor(this.device, idx, [L * L], 'i32')).reshape([L, L, c.numHeads]);
    return permute(b, [2, 0, 1]).reshape([1, c.numHeads, L, L]);
  }

  /** softmax(q kᵀ + bias) v: T5 folds the 1/√d scale into its initialisation, so the scores are not scaled. */
  private selfAttention(x: Tensor, p: string, bias: Tensor): Tensor {
    const [B, L] = x.shape;
    const { numHeads: H, dKv: D } = this.config;
    const heads = (t: Tensor) => permute(t.reshape([B, L, H, D]), [0, 2, 1, 3]); // [B, H, L, D]
    const q = heads(linear(x, this.w(`${p}.q.weight`)));
    const k = heads(linear(x, this.w(`${p}.k.weight`)));
    const v = heads(linear(x, this.w(`${p}.v.weight`)));
    const o = scaledDotProductAttention(q, k, v, { scale: 1, mask: bias }); // [B, H, L, D]
    return linear(permute(o, [0, 2, 1, 3]).reshape([B, L, H * D]), this.w(`${p}.o.weight`));
  }

  dispose(): void {
    this.weights.dispose();
  }
}
