import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type SafetensorsDType } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { loadModel, FluxTransformer } from '../src/index.js';
import { openCheckpoint } from '../src/node/index.js';
import { openGolden, maxAbs, fluxInputs } from './golden.js';

describe('sharded checkpoints and folders', () => {
  it('a *.safetensors.index.json over shards (and a folder holding it) loads the same model as one file', async () => {
    const d = await createDevice();
    const r = await openGolden('flux-tiny-a.safetensors');
    const keys = r.keys().filter((k) => k.startsWith('weights.'));
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-shards-'));
    const folder = join(dir, 'transformer');
    mkdirSync(folder);
    const shards: Record<string, Record<string, { dtype: SafetensorsDType; shape: number[]; data: Float32Array }>> = {
      'model-00001-of-00002.safetensors': {},
      'model-00002-of-00002.safetensors': {},
    };
    const weightMap: Record<string, string> = {};
    for (const [i, k] of keys.entries()) {
      const file = i % 2 ? 'model-00002-of-00002.safetensors' : 'model-00001-of-00002.safetensors';
      shards[file][k.slice(8)] = { dtype: 'F32', shape: [...r.info(k).shape], data: await r.readF32(k) };
      weightMap[k.slice(8)] = file;
    }
    for (const [f, t] of Object.entries(shards)) writeFileSync(join(folder, f), encodeSafetensors(t, f.includes('00001') ? { config: r.metadata.config } : {}));
    writeFileSync(join(folder, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const inputs = await fluxInputs(d, r);
    const want = await r.readF32('outputs.pred');
    for (const path of [join(folder, 'model.safetensors.index.json'), dir]) {
      const src = await openCheckpoint(path);
      const { model, plan } = await loadModel(d, src);
      expect(plan.unexpected).toEqual([]);
      expect(maxAbs(await (model as FluxTransformer).forward(inputs).toArray(), want)).toBeLessThan(1e-5);
      await src.close();
    }
  });

  it('says which file is missing from a shard index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cleardit-shards-'));
    writeFileSync(join(dir, 'x.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'gone.safetensors' } }));
    await expect(openCheckpoint(join(dir, 'x.safetensors.index.json'))).rejects.toThrowError(/gone.safetensors: no such file/);
  });
});
