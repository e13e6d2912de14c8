import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, type Tensor } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { loadModel, FluxTransformer, ReaderSource, weightPrefix, type FluxInputs } from '../src/index.js';
import { openGolden, maxAbs, fluxInputs } from './golden.js';

let d: Device;
beforeAll(async () => {
  d = await createDevice();
});

async function goldenFlux(file: string) {
  const r = await openGolden(file);
  const src = new ReaderSource(file, [r], weightPrefix(r.keys()));
  const { model } = await loadModel(d, src);
  const flux = model as FluxTransformer;
  const inputs: FluxInputs = await fluxInputs(d, r);
  return { r, flux, inputs };
}

describe('FLUX transformer against the golden files', () => {
  // the -diffusers file holds the strong file's weights renamed by diffusers' own conversion script
  for (const [file, atol] of [
    ['flux-tiny-a.safetensors', 1e-5],
    ['flux-tiny-a-strong.safetensors', 5e-4],
    ['flux-tiny-a-strong-diffusers.safetensors', 5e-4],
  ] as const)
    it(`${file}: pred, vec, pe and the first double block (atol ${atol})`, async () => {
      const { r, flux, inputs } = await goldenFlux(file);
      const got: Record<string, Float32Array> = {};
      const taps = {
        vec: (t: Tensor) => void t.toArray().then((a) => (got.vec = a as Float32Array)),
        pe: (pe: Float32Array) => (got.pe = pe),
        double0: (img: Tensor, txt: Tensor) => {
          void img.toArray().then((a) => (got.double0_img = a as Float32Array));
          void txt.toArray().then((a) => (got.double0_txt = a as Float32Array));
        },
      };
      const pred = await flux.forward(inputs, taps).toArray();
      await d.sync();
      const errs: Record<string, number> = { pred: maxAbs(pred, await r.readF32('outputs.pred')) };
      for (const k of ['vec', 'pe', 'double0_img', 'double0_txt']) errs[k] = maxAbs(got[k], await r.readF32(`outputs.${k}`));
      console.log(file, errs);
      for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(atol);
    });
});
