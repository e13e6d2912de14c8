// The digit pipeline: the bundled models load with the attention their files name, a non-digit
// checkpoint is refused by name, the sampler streams every step's images, and seeds are independent.
import { describe, it, expect, beforeAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { Device } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { DitTransformer, initDitWeights, CheckpointError } from '@cleardit/models';
import { openCheckpoint } from '@cleardit/models/node';
import { digitNoise, gridPixels, loadDigitModel, sampleDigits } from '../src/index.js';

const repo = (p: string) => fileURLToPath(new URL(`../../../${p}`, import.meta.url));

let d: Device;
beforeAll(async () => {
  d = await createDevice();
});

const tinyDigitDit = (dev: Device) => {
  const config = { inputSize: 32, patchSize: 2, inChannels: 1, hiddenSize: 32, depth: 1, numHeads: 2, mlpRatio: 2, numClasses: 10, learnSigma: false };
  return new DitTransformer(dev, config, initDitWeights(dev, config, 7));
};

describe('loadDigitModel', () => {
  it('reads the bundled student with its CLEAR attention, and the teacher with full attention', async () => {
    for (const [file, kind] of [
      ['apps/cli/models/digit-clear-r4.safetensors', 'clear'],
      ['apps/cli/models/digit-teacher.safetensors', 'full'],
    ]) {
      const src = await openCheckpoint(repo(file));
      const m = await loadDigitModel(d, src).finally(() => src.close());
      expect(m.attention.kind).toBe(kind);
      if (m.attention.kind === 'clear') expect(m.attention.radius).toBe(4);
      expect(m.dit.attention).toEqual(m.attention);
      m.dit.dispose();
    }
  });

  it('refuses a DiT that is not a digit model, naming the file and what was expected', async () => {
    const src = await openCheckpoint(repo('packages/models/test/fixtures/dit-tiny-a.safetensors'));
    const err = await loadDigitModel(d, src)
      .finally(() => src.close())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect(String((err as Error).message)).toMatch(/dit-tiny-a.*not a digit model.*32×32×1/);
  });
});

describe('sampleDigits', () => {
  it('reports every step with the images so far, ending on the returned images', async () => {
    const dit = tinyDigitDit(d);
    const seen: number[] = [];
    let last: Float32Array | undefined;
    const out = await sampleDigits(d, dit, [3, 5], digitNoise([1, 2]), {
      steps: 4,
      onStep: async ({ step, total, latent }) => {
        seen.push(step);
        expect(total).toBe(4);
        expect(latent.shape).toEqual([2, 1, 32, 32]);
        last = await latent.toFloat32();
      },
    });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(Array.from(await out.toFloat32())).toEqual(Array.from(last!));
    out.dispose();
    dit.dispose();
  });

  it("gives a sample the same image alone as in a batch (its noise is its own seed's)", async () => {
    const dit = tinyDigitDit(d);
    const both = await (await sampleDigits(d, dit, [3, 5], digitNoise([1, 2]), { steps: 3 })).toFloat32();
    const alone = await (await sampleDigits(d, dit, [5], digitNoise([2]), { steps: 3 })).toFloat32();
    const diff = Math.max(...alone.map((v, i) => Math.abs(v - both[1024 + i])));
    expect(diff).toBeLessThan(1e-4);
    dit.dispose();
  });

  it('stops on an aborted signal', async () => {
    const dit = tinyDigitDit(d);
    const ac = new AbortController();
    const run = sampleDigits(d, dit, [1], digitNoise([1]), { steps: 5, signal: ac.signal, onStep: ({ step }) => void (step === 2 && ac.abort()) });
    await expect(run).rejects.toMatchObject({ name: 'SamplingAborted' });
    dit.dispose();
  });
});

describe('gridPixels', () => {
  it('maps [−1, 1] to 0..255, clamps, and lays the images in a row', () => {
    const v = new Float32Array(2 * 4).fill(-1);
    v[4] = 1; // image 1, pixel (0, 0)
    v[1] = 3; // clamped
    const g = gridPixels(v, 2, 2);
    expect([g.width, g.height]).toEqual([4, 2]);
    expect(Array.from(g.pixels)).toEqual([0, 255, 255, 0, 0, 0, 0, 0]);
  });
});
