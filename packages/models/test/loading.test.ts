import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync, openSync, ftruncateSync, closeSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Device, encodeSafetensors, type SafetensorsDType } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import {
  loadModel,
  detect,
  planLoad,
  fluxKeys,
  FLUX_PRESETS,
  ReaderSource,
  FluxTransformer,
  DitTransformer,
  type FluxConfig,
  type DitConfig,
} from '../src/index.js';
import { openCheckpoint } from '../src/node/index.js';
import { openGolden, fixture, input, maxAbs, fluxInputs } from './golden.js';
import { headerOnly } from './header-only.js';

let d: Device;
const dir = mkdtempSync(join(tmpdir(), 'cleardit-models-'));
beforeAll(async () => {
  d = await createDevice();
});

type Tensors = Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array }>;

/** Canonical tensors of a golden file (prefix weights. stripped) plus its non-weight tensors. */
async function goldenTensors(file: string): Promise<{ weights: Tensors; rest: Tensors; meta: Record<string, string> }> {
  const r = await openGolden(file);
  const weights: Tensors = {};
  const rest: Tensors = {};
  for (const k of r.keys()) {
    const t = { dtype: 'F32' as const, shape: [...r.info(k).shape], data: await r.readF32(k) };
    if (k.startsWith('weights.')) weights[k.slice(8)] = t;
    else rest[k] = t;
  }
  return { weights, rest, meta: { ...r.metadata } };
}

/**
 * facebookresearch/DiT's original names for diffusers DiT tensors, written out here by hand from
 * diffusers' scripts/convert_dit_to_diffusers.py (not from the loader's map, which it checks): q, k
 * and v fuse into attn.qkv, the embedders and the final layer take their original names.
 */
function ditOriginalNames(w: Tensors, depth: number): Tensors {
  const out: Tensors = {};
  const both = (to: string, from: string) => {
    for (const s of ['weight', 'bias']) out[`${to}.${s}`] = w[`${from}.${s}`];
  };
  both('x_embedder.proj', 'pos_embed.proj');
  both('t_embedder.mlp.0', 'transformer_blocks.0.norm1.emb.timestep_embedder.linear_1');
  both('t_embedder.mlp.2', 'transformer_blocks.0.norm1.emb.timestep_embedder.linear_2');
  out['y_embedder.embedding_table.weight'] = w['transformer_blocks.0.norm1.emb.class_embedder.embedding_table.weight'];
  for (let i = 0; i < depth; i++) {
    const b = `transformer_blocks.${i}`;
    both(`blocks.${i}.adaLN_modulation.1`, `${b}.norm1.linear`);
    for (const s of ['weight', 'bias']) {
      const [q, k, v] = ['to_q', 'to_k', 'to_v'].map((n) => w[`${b}.attn1.${n}.${s}`]);
      out[`blocks.${i}.attn.qkv.${s}`] = {
        dtype: 'F32',
        shape: [3 * q.shape[0], ...q.shape.slice(1)],
        data: Float32Array.from([...q.data, ...k.data, ...v.data]),
      };
    }
    both(`blocks.${i}.attn.proj`, `${b}.attn1.to_out.0`);
    both(`blocks.${i}.mlp.fc1`, `${b}.ff.net.0.proj`);
    both(`blocks.${i}.mlp.fc2`, `${b}.ff.net.2`);
  }
  both('final_layer.adaLN_modulation.1', 'proj_out_1');
  both('final_layer.linear', 'proj_out_2');
  return out;
}

async function fluxFrom(path: string): Promise<FluxTransformer> {
  return (await loadModel(d, await openCheckpoint(path), { family: 'flux' })).model as FluxTransformer;
}

async function inputsOf(file = 'flux-tiny-a.safetensors') {
  const r = await openGolden(file);
  return await fluxInputs(d, r);
}

describe('checkpoint names', () => {
  it("FLUX in diffusers names (golden: renamed by diffusers' own conversion script) gives the outputs of the BFL-named file", async () => {
    const src = await openCheckpoint(fixture('flux-tiny-a-strong-diffusers.safetensors'));
    expect(detect(src).naming).toBe('diffusers');
    const a = await (await fluxFrom(fixture('flux-tiny-a-strong.safetensors'))).forward(await inputsOf('flux-tiny-a-strong.safetensors')).toArray();
    const b = await (
      await fluxFrom(fixture('flux-tiny-a-strong-diffusers.safetensors'))
    )
      .forward(await inputsOf('flux-tiny-a-strong-diffusers.safetensors'))
      .toArray();
    expect(maxAbs(a, b)).toBe(0);
    const ref = await (await openGolden('flux-tiny-a-strong-diffusers.safetensors')).readF32('outputs.pred');
    expect(maxAbs(b, ref)).toBeLessThan(5e-4);
  });

  it('DiT in original facebookresearch names (renamed by hand here) gives the golden output', async () => {
    const { weights, rest } = await goldenTensors('dit-tiny-a.safetensors');
    const r = await openGolden('dit-tiny-a.safetensors');
    const cfg = (await loadModel(d, new ReaderSource('golden', [r], 'weights.'))).detected.config as DitConfig;
    const orig = ditOriginalNames(weights, cfg.depth);
    const path = join(dir, 'dit-original.safetensors');
    writeFileSync(path, encodeSafetensors(orig, { config: r.metadata.config }));
    const lo = await loadModel(d, await openCheckpoint(path));
    expect(lo.detected.naming).toBe('original');
    expect(lo.plan.unexpected).toEqual([]);
    const x = rest['inputs.x'];
    const run = async (m: DitTransformer) =>
      m.forward(await input(d, r, 'inputs.x'), Array.from(await r.readF32('inputs.t')), Array.from(await r.readF32('inputs.y'))).toArray();
    const ref = (await loadModel(d, new ReaderSource('golden', [r], 'weights.'))).model as DitTransformer;
    const out = await run(lo.model as DitTransformer);
    expect(maxAbs(out, await run(ref))).toBe(0);
    expect(maxAbs(out, await r.readF32('outputs.out'))).toBeLessThan(1e-4); // the golden facebookresearch/DiT output
    expect(x.shape).toEqual([2, 4, 8, 8]);
  });
});

describe('attention as a choice', () => {
  it('CLEAR with r larger than the grid equals full attention; a small r differs', async () => {
    const flux = await fluxFrom(fixture('flux-tiny-a-strong.safetensors'));
    const inputs = await inputsOf('flux-tiny-a-strong.safetensors');
    const full = await flux.forward(inputs).toArray();
    flux.setAttention({ kind: 'clear', radius: 100 });
    const wide = await flux.forward(inputs).toArray();
    expect(maxAbs(full, wide)).toBeLessThan(2e-6);
    flux.setAttention({ kind: 'clear', radius: 2 });
    const local = await flux.forward(inputs).toArray();
    expect(maxAbs(full, local)).toBeGreaterThan(1e-3);
    // and back: the plan for the earlier geometry is still right
    flux.setAttention({ kind: 'full' });
    expect(maxAbs(full, await flux.forward(inputs).toArray())).toBe(0);
  });
});

describe('FLUX.1-dev at full size (header only, sparse data)', () => {
  it('inspect identifies it, counts 11.9 B parameters and 22.2 GiB (BF16 Linear weights at 2 bytes), and the loader refuses it on the software adapter with both numbers', async () => {
    const cfg: FluxConfig = FLUX_PRESETS['flux-dev'];
    const shapes = fluxKeys(cfg);
    const tensors: Record<string, { dtype: SafetensorsDType; shape: number[] }> = {};
    for (const [k, s] of shapes) tensors[k] = { dtype: 'BF16', shape: s };
    const { bytes, dataBytes } = headerOnly(tensors);
    const path = join(dir, 'flux1-dev.safetensors');
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r+');
    ftruncateSync(fd, bytes.length + dataBytes); // sparse: no data is written
    closeSync(fd);
    const src = await openCheckpoint(path);
    const det = detect(src);
    expect(det.family).toBe('flux');
    expect(det.naming).toBe('bfl');
    expect(det.config).toEqual(cfg);
    const plan = planLoad(src, det);
    expect(src.keys()).toHaveLength(780);
    expect(plan.parameters).toBe(11_901_408_320);
    expect(plan.missing).toEqual([]);
    expect(plan.unexpected).toEqual([]);
    // the 314 Linear weights stay BF16 (2 bytes); the 466 biases and norm scales are widened (4 bytes)
    expect(plan.kept16).toBe(314);
    expect(plan.bytes).toBe(2 * 11_898_322_944 + 4 * 3_085_376); // 23.8 GB
    expect(plan.largestTensorBytes).toBe(2 * 21_504 * 3072); // single_blocks.*.linear1 in BF16: 126 MiB
    const widened = planLoad(src, det, { weights16: false });
    expect(widened.bytes).toBe(4 * 11_901_408_320); // 47.6 GB
    const refuse = async (opts: object) =>
      (await loadModel(d, src, { memoryBudget: 16 * 2 ** 30, ...opts }).then(
        () => null,
        (e: Error) => e,
      ))!;
    // llvmpipe binds 128 MiB: the largest BF16 tensor fits, so it is the 16 GiB budget that refuses ...
    expect(d.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(plan.largestTensorBytes);
    const err = await refuse({});
    expect(err.name).toBe('DeviceLimitError');
    expect(err.message).toMatch(
      /flux1-dev.safetensors: the weights \(314 kept in 16 bits, the rest float32\): 22\.2 GiB \(23808987392 bytes\) requested, the adapter allows 16\.0 GiB/,
    );
    // ... while widened to float32 that tensor (252 MiB) exceeds the binding limit first
    if (d.limits.maxStorageBufferBindingSize < widened.largestTensorBytes)
      expect((await refuse({ weights16: false })).message).toMatch(/flux1-dev.safetensors: the largest weight: 252\.0 MiB \(264241152 bytes\) requested/);
    expect(statSync(path).size).toBe(bytes.length + dataBytes);
    await src.close();
  });
});

describe('bad checkpoints get one clear error naming file and key', () => {
  it('a truncated file', async () => {
    const src = readFileSync(fixture('flux-tiny-a.safetensors'));
    const path = join(dir, 'truncated.safetensors');
    writeFileSync(path, src.subarray(0, src.length - 1000));
    const err = await openCheckpoint(path).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.name).toBe('SafetensorsError');
    expect(err?.message).toContain('truncated.safetensors');
  });

  it('a checkpoint of another model', async () => {
    const src = await openCheckpoint(fixture('ae-tiny-a.safetensors'));
    await expect(loadModel(d, src, { family: 'flux' })).rejects.toThrowError(/ae-tiny-a.safetensors: this is a vae checkpoint \(ldm names\), not a flux one/);
  });

  it('a wrong-shape tensor, a transposed one and a missing tensor', async () => {
    const { weights, meta } = await goldenTensors('flux-tiny-a.safetensors');
    const bad = { ...weights, 'txt_in.weight': { ...weights['txt_in.weight'], shape: [64, 47], data: weights['txt_in.weight'].data.slice(0, 64 * 47) } };
    const path = join(dir, 'wrong-shape.safetensors');
    writeFileSync(path, encodeSafetensors(bad, meta));
    await expect(loadModel(d, await openCheckpoint(path))).rejects.toThrowError(
      /wrong-shape.safetensors: wrong shape: 'txt_in.weight': txt_in.weight \[64,47\] has 3008 values, expected shape \[64,48\]/,
    );
    // the same count of values in another shape (a transposed weight) is refused as a shape, not loaded
    const t = { ...weights, 'txt_in.weight': { ...weights['txt_in.weight'], shape: [48, 64] } };
    const path3 = join(dir, 'transposed.safetensors');
    writeFileSync(path3, encodeSafetensors(t, meta));
    await expect(loadModel(d, await openCheckpoint(path3))).rejects.toThrowError(
      /transposed.safetensors: wrong shape: 'txt_in.weight': txt_in.weight \[48,64\], expected shape \[64,48\] \(the same count of values in another shape/,
    );
    const { ['img_in.bias']: _gone, ...rest } = weights;
    const path2 = join(dir, 'missing.safetensors');
    writeFileSync(path2, encodeSafetensors(rest, meta));
    await expect(loadModel(d, await openCheckpoint(path2))).rejects.toThrowError(/missing.safetensors: missing 1 tensor\(s\): img_in.bias/);
  });
});
