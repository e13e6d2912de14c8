// FLUX's text encoders against Hugging Face transformers (fixtures/text, copied from ../shared/golden/text):
// the CLIP and T5 tokenizers give exactly transformers' ids for six prompts (empty, unicode, emoji,
// whitespace runs, one over the length); the encoders' hidden states and CLIP's pooled output are
// within the README's atol 1e-4. Also: the `text_model.` prefix of transformers 4 checkpoints, bf16
// weights kept 16-bit, and the loader on full-size CLIP-L and T5-XXL files that hold only a header.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, readFile, cp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SafetensorsReader, type Device, type SafetensorsDType, floatsToBf16s, bf16sToFloats, encodeSafetensors } from '@cleardit/tensor';
import { createDevice, FileSource } from '@cleardit/tensor/node';
import { CLIP_L, T5_XXL, clipTextKeys, t5EncoderKeys, relativePositionBucket, CLIP_TOKEN_TABLE, T5_TOKEN_TABLE } from '../src/index.js';
import { findTextEncoder, readPromptTokenizer, loadClipFolder, loadT5Folder, planTextEncoder } from '../src/node/index.js';
import { fixture, maxAbs } from './golden.js';
import { headerOnly } from './header-only.js';

let d: Device;
let tmp: string;
beforeAll(async () => {
  d = await createDevice();
  tmp = await mkdtemp(join(tmpdir(), 'cleardit-text-'));
});
afterAll(async () => {
  d.destroy();
  await rm(tmp, { recursive: true, force: true });
});

const CLIP = fixture('text/clip-tiny');
const T5 = fixture('text/t5-tiny');

async function golden(dir: string) {
  const r = await SafetensorsReader.open(await FileSource.open(join(dir, 'golden.safetensors')));
  const prompts = JSON.parse(r.metadata.prompts) as string[];
  return { r, prompts };
}

/** The first differing position of two id lists, as a readable line. */
function idDiff(got: ArrayLike<number>, want: ArrayLike<number>): string {
  for (let i = 0; i < Math.max(got.length, want.length); i++) if (got[i] !== want[i]) return `first difference at ${i}: got ${got[i]}, want ${want[i]}`;
  return 'equal';
}

describe("tokenizers (via @huggingface/tokenizers) give transformers' ids", () => {
  for (const [name, dir, kind, length] of [
    ['CLIP', CLIP, 'clip', 77],
    ['T5', T5, 't5', 64],
  ] as const)
    it(`${name}: six prompts, padded and truncated as FluxPipeline`, async () => {
      const { r, prompts } = await golden(dir);
      const tok = await readPromptTokenizer(findTextEncoder(dir, kind), length);
      for (let i = 0; i < prompts.length; i++) {
        const got = tok.encode(prompts[i]);
        const want = await r.readInt32(`inputs.ids_${i}`);
        expect(idDiff(got, want), `prompt ${i} ${JSON.stringify(prompts[i])}`).toBe('equal');
      }
      await r.close();
    });
});

describe('encoders match transformers (atol 1e-4)', () => {
  it('CLIP text model: last_hidden_state and pooler_output for each prompt', async () => {
    const { r, prompts } = await golden(CLIP);
    const clip = await loadClipFolder(d, findTextEncoder(CLIP, 'clip'));
    let worst = 0;
    for (let i = 0; i < prompts.length; i++) {
      const out = clip.encode(await r.readInt32(`inputs.ids_${i}`), 1);
      const h = maxAbs(await out.hidden.toFloat32(), await r.readF32(`outputs.hidden_${i}`));
      const p = maxAbs(await out.pooled.toFloat32(), await r.readF32(`outputs.pooled_${i}`));
      out.hidden.dispose();
      out.pooled.dispose();
      expect(h, `hidden_${i}`).toBeLessThan(1e-4);
      expect(p, `pooled_${i}`).toBeLessThan(1e-4);
      worst = Math.max(worst, h, p);
    }
    console.log(`CLIP max abs error over ${prompts.length} prompts: ${worst.toExponential(2)}`);
    clip.dispose();
    await r.close();
  });

  it("CLIP: a batch of all six prompts gives each prompt's own outputs", async () => {
    const { r, prompts } = await golden(CLIP);
    const clip = await loadClipFolder(d, findTextEncoder(CLIP, 'clip'));
    const ids = new Int32Array(prompts.length * 77);
    for (let i = 0; i < prompts.length; i++) ids.set(await r.readInt32(`inputs.ids_${i}`), i * 77);
    const out = clip.encode(ids, prompts.length);
    const pooled = await out.pooled.toFloat32();
    for (let i = 0; i < prompts.length; i++)
      expect(maxAbs(pooled.subarray(i * 32, (i + 1) * 32), await r.readF32(`outputs.pooled_${i}`)), `pooled_${i}`).toBeLessThan(1e-4);
    clip.dispose();
    await r.close();
  });

  it('T5 v1.1 encoder: last_hidden_state for each prompt', async () => {
    const { r, prompts } = await golden(T5);
    const t5 = await loadT5Folder(d, findTextEncoder(T5, 't5'));
    let worst = 0;
    for (let i = 0; i < prompts.length; i++) {
      const out = t5.encode(await r.readInt32(`inputs.ids_${i}`), 1);
      const e = maxAbs(await out.toFloat32(), await r.readF32(`outputs.hidden_${i}`));
      out.dispose();
      expect(e, `hidden_${i}`).toBeLessThan(1e-4);
      worst = Math.max(worst, e);
    }
    console.log(`T5 max abs error over ${prompts.length} prompts: ${worst.toExponential(2)}`);
    t5.dispose();
    await r.close();
  });
});

/** A copy of `dir` whose encoder file is rewritten by `edit` (names, dtypes). */
async function rewritten(
  dir: string,
  sub: string,
  edit: (name: string, dtype: SafetensorsDType, data: Float32Array, shape: number[]) => [string, SafetensorsDType, Float32Array | Uint16Array],
): Promise<string> {
  const out = await mkdtemp(join(tmp, 'enc-'));
  await cp(dir, out, { recursive: true });
  const file = join(out, sub, 'model.safetensors');
  const r = await SafetensorsReader.open(await FileSource.open(join(dir, sub, 'model.safetensors')));
  const tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array | Uint16Array }> = {};
  for (const k of r.keys()) {
    const info = r.info(k);
    const [name, dtype, data] = edit(k, info.dtype, await r.readF32(k), info.shape);
    tensors[name] = { dtype, shape: info.shape, data };
  }
  await r.close();
  await writeFile(file, encodeSafetensors(tensors, r.metadata));
  return out;
}

describe('checkpoint variants', () => {
  it("CLIP keys with transformers 4's text_model. prefix (and its saved position_ids, I64) load the same", async () => {
    const dir = await rewritten(CLIP, 'text_encoder', (k, dt, data) => [`text_model.${k}`, dt, data]);
    // transformers 4 also saved the position_ids buffer, as I64
    const file = join(dir, 'text_encoder', 'model.safetensors');
    const r = await SafetensorsReader.open(await FileSource.open(file));
    const all: Record<string, never> = {};
    for (const k of r.keys()) (all as Record<string, unknown>)[k] = { dtype: 'F32', shape: r.info(k).shape, data: await r.readF32(k) };
    await r.close();
    await writeFile(
      file,
      encodeSafetensors({ ...all, 'text_model.embeddings.position_ids': { dtype: 'I64', shape: [1, 77], data: Array.from({ length: 77 }, (_, i) => i) } }),
    );
    const { r: g } = await golden(CLIP);
    const clip = await loadClipFolder(d, findTextEncoder(dir, 'clip'));
    const out = clip.encode(await g.readInt32('inputs.ids_1'), 1);
    expect(maxAbs(await out.pooled.toFloat32(), await g.readF32('outputs.pooled_1'))).toBeLessThan(1e-4);
    clip.dispose();
    await g.close();
  });

  it('bf16 T5 weights: Linear weights stay 16-bit on the device, the token table stays bf16 on the host, outputs follow', async () => {
    const dir = await rewritten(T5, 'text_encoder_2', (k, _dt, data) => [k, 'BF16', floatsToBf16s(data)]);
    const parts = findTextEncoder(dir, 't5');
    const { plan, table } = await planTextEncoder(parts);
    const linears = [
      ...t5EncoderKeys(
        (await import('../src/index.js')).t5ConfigFromJson(JSON.parse(await readFile(join(dir, 'text_encoder_2', 'config.json'), 'utf8'))),
      ).entries(),
    ].filter(([k, s]) => s.length === 2 && !k.includes('relative_attention_bias'));
    expect(plan.kept16).toBe(linears.length);
    expect(table).toEqual({ key: T5_TOKEN_TABLE, bytes: 700 * 32 * 2 });
    const t5 = await loadT5Folder(d, parts);
    expect(t5.weights.get('encoder.block.0.layer.0.SelfAttention.q.weight').dtype).toBe('bf16');
    // the reference for bf16 weights: the same computation on the bf16-rounded f32 weights
    const f32dir = await rewritten(T5, 'text_encoder_2', (k, _dt, data) => [k, 'F32', bf16sToFloats(floatsToBf16s(data))]);
    const ref = await loadT5Folder(d, findTextEncoder(f32dir, 't5'));
    const { r } = await golden(T5);
    const ids = await r.readInt32('inputs.ids_1');
    expect(maxAbs(await t5.encode(ids, 1).toFloat32(), await ref.encode(ids, 1).toFloat32())).toBeLessThan(1e-5);
    t5.dispose();
    ref.dispose();
    await r.close();
  });

  it('a token id outside the vocabulary is an error naming the id, its position and the table', async () => {
    const t5 = await loadT5Folder(d, findTextEncoder(T5, 't5'));
    expect(() => t5.encode(Int32Array.from([5, 700, 1]), 1)).toThrow(/shared\.weight': token id 700 \(position 1\) is outside the vocabulary of 700/);
    t5.dispose();
  });
});

/** A sparse file holding only a header (no data is ever read), for full-size plans. */
async function sparse(path: string, tensors: Record<string, { dtype: SafetensorsDType; shape: number[] }>): Promise<void> {
  const { bytes, dataBytes } = headerOnly(tensors);
  const f = await open(path, 'w');
  await f.write(bytes);
  await f.truncate(bytes.length + dataBytes);
  await f.close();
}

describe('full-size encoders, header only', () => {
  it('CLIP-L (transformers 4 names, f16) and T5-XXL (bf16, two shards): every key and shape checked, bytes counted', async () => {
    const root = await mkdtemp(join(tmp, 'flux-'));
    const enc = join(root, 'text_encoder');
    const enc2 = join(root, 'text_encoder_2');
    await Promise.all([enc, enc2, join(root, 'tokenizer'), join(root, 'tokenizer_2')].map((p) => import('node:fs/promises').then((fs) => fs.mkdir(p))));
    const clipConfig = {
      vocab_size: 49408,
      hidden_size: 768,
      intermediate_size: 3072,
      num_attention_heads: 12,
      num_hidden_layers: 12,
      max_position_embeddings: 77,
      hidden_act: 'quick_gelu',
      layer_norm_eps: 1e-5,
      eos_token_id: 2,
    };
    await writeFile(join(enc, 'config.json'), JSON.stringify(clipConfig));
    const clipTensors: Record<string, { dtype: SafetensorsDType; shape: number[] }> = {
      [`text_model.${CLIP_TOKEN_TABLE}`]: { dtype: 'F16', shape: [49408, 768] },
    };
    for (const [k, s] of clipTextKeys(CLIP_L)) clipTensors[`text_model.${k}`] = { dtype: 'F16', shape: s };
    await sparse(join(enc, 'model.safetensors'), clipTensors);
    const t5Config = {
      vocab_size: 32128,
      d_model: 4096,
      d_kv: 64,
      num_heads: 64,
      d_ff: 10240,
      num_layers: 24,
      feed_forward_proj: 'gated-gelu',
      relative_attention_num_buckets: 32,
      relative_attention_max_distance: 128,
      layer_norm_epsilon: 1e-6,
    };
    await writeFile(join(enc2, 'config.json'), JSON.stringify(t5Config));
    const keys = [...t5EncoderKeys(T5_XXL).entries()];
    const halves = [keys.slice(0, keys.length / 2), keys.slice(keys.length / 2)];
    const weightMap: Record<string, string> = {};
    for (const [i, half] of halves.entries()) {
      const t: Record<string, { dtype: SafetensorsDType; shape: number[] }> = {};
      for (const [k, s] of half) t[k] = { dtype: 'BF16', shape: s };
      if (i === 0) t[T5_TOKEN_TABLE] = { dtype: 'BF16', shape: [32128, 4096] };
      const name = `model-0000${i + 1}-of-00002.safetensors`;
      for (const k of Object.keys(t)) weightMap[k] = name;
      await sparse(join(enc2, name), t);
    }
    await writeFile(join(enc2, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    for (const [sub, f] of [
      ['tokenizer', 'vocab.json'],
      ['tokenizer', 'merges.txt'],
      ['tokenizer_2', 'tokenizer.json'],
    ])
      await writeFile(join(root, sub, f), '{}');

    const clip = await planTextEncoder(findTextEncoder(root, 'clip'));
    expect(clip.plan.missing).toEqual([]);
    expect(clip.plan.unexpected).toEqual([]);
    expect(clip.plan.shapeErrors).toEqual([]);
    expect(clip.plan.parameters).toBe(123_060_480 - 49408 * 768); // CLIP-L text model's 123.06 M, less the host-side token table
    expect(clip.table.bytes).toBe(49408 * 768 * 2);
    const t5 = await planTextEncoder(findTextEncoder(root, 't5'));
    expect([t5.plan.missing, t5.plan.unexpected, t5.plan.shapeErrors]).toEqual([[], [], []]);
    expect(t5.plan.parameters + 32128 * 4096).toBe(4_762_310_656); // T5-XXL encoder: 4.76 B
    expect(t5.plan.kept16).toBe(24 * 7); // q, k, v, o, wi_0, wi_1, wo per block
    expect(t5.table.bytes).toBe(32128 * 4096 * 2);

    // a misshapen weight is named with both shapes
    clipTensors['text_model.encoder.layers.3.mlp.fc1.weight'] = { dtype: 'F16', shape: [3072, 769] };
    await sparse(join(enc, 'model.safetensors'), clipTensors);
    const bad = await planTextEncoder(findTextEncoder(root, 'clip'));
    expect(bad.plan.shapeErrors.join('\n')).toContain(
      "'encoder.layers.3.mlp.fc1.weight': text_model.encoder.layers.3.mlp.fc1.weight [3072,769] has 2362368 values, expected shape [3072,768]",
    );
  });
});

describe('relative position buckets', () => {
  it("follow transformers' bidirectional rule: exact below 8, logarithmic to 128, one bucket half per sign", () => {
    const b = (r: number) => relativePositionBucket(r, 32, 128);
    expect([0, 1, 7, -1, -7].map(b)).toEqual([0, 17, 23, 1, 7]);
    // large distances: 8 + ⌊log(n/8)/log(16)·8⌋, capped at 15 (+16 for keys after the query)
    for (const n of [8, 11, 12, 16, 32, 64, 127, 128, 500]) {
      const want = Math.min(8 + Math.floor((Math.log(n / 8) / Math.log(16)) * 8), 15);
      expect(b(-n), `-${n}`).toBe(want);
      expect(b(n), `${n}`).toBe(16 + want);
    }
  });
});
