// 16-bit weights: the golden models rewritten in BF16 load with their Linear weights kept bf16 on the
// device (half the bytes), and compute what the same rounded values widened to float32 compute.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Device, type Tensor, type TensorToWrite, SafetensorsReader, encodeSafetensors, floatsToBf16s, bf16sToFloats } from '@cleardit/tensor';
import { createDevice, FileSource } from '@cleardit/tensor/node';
import {
  loadModel,
  assemble,
  isLinearWeight,
  ReaderSource,
  type LoadedModel,
  type FluxTransformer,
  type DitTransformer,
  type VaeDecoder,
} from '../src/index.js';
import { openGolden, input, maxAbs, fluxInputs } from './golden.js';

let d: Device;
const dir = mkdtempSync(join(tmpdir(), 'cleardit-weights16-'));
beforeAll(async () => {
  d = await createDevice();
});

/** A golden file with every weight stored BF16 (bits from floatsToBf16s); inputs and outputs stay F32. */
async function bf16Golden(file: string): Promise<SafetensorsReader> {
  const r = await openGolden(file);
  const out: Record<string, TensorToWrite> = {};
  for (const k of r.keys()) {
    const data = await r.readF32(k);
    const shape = [...r.info(k).shape];
    out[k] = k.startsWith('weights.') ? { dtype: 'BF16', shape, data: floatsToBf16s(data) } : { dtype: 'F32', shape, data };
  }
  const path = join(dir, file);
  writeFileSync(path, encodeSafetensors(out, { ...r.metadata }));
  await r.close();
  return SafetensorsReader.open(await FileSource.open(path));
}

const run: Record<string, (m: LoadedModel['model'], r: SafetensorsReader) => Promise<Tensor>> = {
  'flux-tiny-a.safetensors': async (m, r) => (m as FluxTransformer).forward(await fluxInputs(d, r)),
  'dit-tiny-a.safetensors': async (m, r) =>
    (m as DitTransformer).forward(await input(d, r, 'inputs.x'), Array.from(await r.readF32('inputs.t')), Array.from(await r.readF32('inputs.y'))),
  'ae-tiny-a.safetensors': async (m, r) => (m as VaeDecoder).decode(await input(d, r, 'inputs.z')),
  'sdvae-tiny-a.safetensors': async (m, r) => (m as VaeDecoder).decode(await input(d, r, 'inputs.z')),
};

describe('BF16 checkpoints keep their Linear weights in 16 bits', () => {
  for (const file of Object.keys(run))
    it(`${file}: bf16 Linear weights, the true bytes, and the forward of the widened weights`, async () => {
      const r = await bf16Golden(file);
      const src = new ReaderSource(file, [r], 'weights.');
      const a = await loadModel(d, src);
      const b = await loadModel(d, src, { weights16: false });
      let n16 = 0;
      let onDevice = 0;
      for (const [name, t] of a.model.weights.tensors) {
        expect(t.dtype, name).toBe(isLinearWeight(name, t.shape) ? 'bf16' : 'f32');
        n16 += t.dtype === 'bf16' ? 1 : 0;
        onDevice += t.byteSize;
      }
      expect(n16).toBeGreaterThan(0);
      expect(a.plan.kept16).toBe(n16);
      expect(a.plan.bytes).toBe(onDevice); // the plan tells the truth
      for (const t of b.model.weights.tensors.values()) expect(t.dtype).toBe('f32');
      expect(b.plan.kept16).toBe(0);
      expect(b.plan.bytes).toBe(4 * b.plan.parameters);
      // the bits reach the device unchanged
      const [name, w] = [...a.model.weights.tensors].find(([, t]) => t.dtype === 'bf16')!;
      const bits = floatsToBf16s(await src.readF32(a.detected.map.get(name)?.parts[0] ?? name)); // ae: a [C, C, 1, 1] conv in the file
      expect(Array.from(await w.toArray())).toEqual(Array.from(bf16sToFloats(bits)));
      const y16 = await (await run[file](a.model, r)).toArray();
      const y32 = await (await run[file](b.model, r)).toArray();
      console.log(file, `${a.plan.bytes} bytes with 16-bit weights, ${b.plan.bytes} widened; max |Δ| ${maxAbs(y16, y32)}`);
      expect(maxAbs(y16, y32)).toBeLessThanOrEqual(1e-5);
      a.model.dispose();
      b.model.dispose();
      await src.close();
    });

  it('FLUX: the Linear weights are about half of the bytes, and DiT keeps its class table float32', async () => {
    const fluxSrc = new ReaderSource('flux', [await bf16Golden('flux-tiny-a.safetensors')], 'weights.');
    const ditSrc = new ReaderSource('dit', [await bf16Golden('dit-tiny-a.safetensors')], 'weights.');
    const flux = await loadModel(d, fluxSrc);
    const widened = 4 * flux.plan.parameters;
    expect(flux.plan.bytes / widened).toBeGreaterThan(0.5);
    expect(flux.plan.bytes / widened).toBeLessThan(0.52);
    const dit = await loadModel(d, ditSrc);
    expect(dit.model.weights.get('transformer_blocks.0.norm1.emb.class_embedder.embedding_table.weight').dtype).toBe('f32');
    expect(dit.model.weights.get('proj_out_2.weight').dtype).toBe('bf16');
    flux.model.dispose();
    dit.model.dispose();
    await Promise.all([fluxSrc.close(), ditSrc.close()]);
  });
});

describe('assemble on 16-bit patterns', () => {
  it('concatenates parts, slices rows and swaps halves without converting', () => {
    const p = (xs: number[]) => Uint16Array.from(xs);
    const cat = assemble({ parts: ['a', 'b'] }, [p([1, 2, 3, 4]), p([5, 6])]);
    expect(cat).toBeInstanceOf(Uint16Array);
    expect(Array.from(cat)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(assemble({ parts: ['qkv'], rows: [1, 2], totalRows: 3 }, [p([1, 2, 0xffff, 0x8000, 5, 6])]))).toEqual([0xffff, 0x8000]);
    expect(Array.from(assemble({ parts: ['w'], swapHalves: true }, [p([1, 2, 3, 4])]))).toEqual([3, 4, 1, 2]);
    expect(assemble({ parts: ['w'], swapHalves: true }, [Float32Array.from([1, 2])])).toBeInstanceOf(Float32Array);
  });
});
