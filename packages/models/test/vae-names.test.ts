import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type SafetensorsDType } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { loadModel, detect, ReaderSource, vaeLdmMap, VaeDecoder, type VaeConfig } from '../src/index.js';
import { openCheckpoint } from '../src/node/index.js';
import { openGolden, input, maxAbs } from './golden.js';

describe('the FLUX autoencoder decoder under diffusers names', () => {
  it('the ae-tiny-a weights renamed to diffusers names (attention as Linear) decode to the golden image', async () => {
    const d = await createDevice();
    const r = await openGolden('ae-tiny-a.safetensors');
    const det = detect(new ReaderSource('ae', [r], 'weights.'));
    const tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array }> = {};
    for (const [name, src] of vaeLdmMap(det.config as VaeConfig, new Set())) {
      const shape = det.expected.get(name)!; // canonical shape: Linear [C, C] where LDM has [C, C, 1, 1]
      tensors[name] = { dtype: 'F32', shape, data: await r.readF32(`weights.${src.parts[0]}`) };
    }
    const path = join(mkdtempSync(join(tmpdir(), 'cleardit-vae-')), 'ae-diffusers.safetensors');
    writeFileSync(path, encodeSafetensors(tensors));
    const { model, detected, plan } = await loadModel(d, await openCheckpoint(path));
    expect(detected.naming).toBe('diffusers');
    expect(plan.unexpected).toEqual([]);
    expect((detected.config as VaeConfig).scalingFactor).toBe(0.3611); // no post_quant_conv: FLUX's factors
    const img = await (model as VaeDecoder).decode(await input(d, r, 'inputs.z')).toArray();
    expect(maxAbs(img, await r.readF32('outputs.image'))).toBeLessThan(1e-5);
  });
});
