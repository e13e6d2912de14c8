import { describe, it, expect, beforeAll } from 'vitest';
import { type Device, type Tensor } from '@cleardit/tensor';
import { createDevice } from '@cleardit/tensor/node';
import { loadModel, DitTransformer, VaeDecoder, ReaderSource, weightPrefix } from '../src/index.js';
import { openGolden, input, maxAbs } from './golden.js';

let d: Device;
beforeAll(async () => {
  d = await createDevice();
});

async function load(file: string) {
  const r = await openGolden(file);
  const { model, detected } = await loadModel(d, new ReaderSource(file, [r], weightPrefix(r.keys())));
  return { r, model, detected };
}

describe('DiT against golden/dit-tiny-a', () => {
  it('DiT semantics: out, c and the positional table (atol 1e-4)', async () => {
    const { r, model, detected } = await load('dit-tiny-a.safetensors');
    expect(detected.naming).toBe('diffusers');
    const dit = model as DitTransformer;
    let c: Float32Array | undefined;
    let pos: Float32Array | undefined;
    const out = await dit
      .forward(await input(d, r, 'inputs.x'), Array.from(await r.readF32('inputs.t')), Array.from(await r.readF32('inputs.y')), {
        c: (t: Tensor) => void t.toArray().then((a) => (c = a as Float32Array)),
        posEmbed: (p) => (pos = p),
      })
      .toArray();
    await d.sync();
    expect(maxAbs(out, await r.readF32('outputs.out'))).toBeLessThan(1e-4);
    expect(maxAbs(c!, await r.readF32('outputs.c'))).toBeLessThan(1e-4);
    expect(maxAbs(pos!, await r.readF32('outputs.pos_embed'))).toBeLessThan(1e-6);
  });

  it('diffusers semantics reproduce out_diffusers and c_diffusers', async () => {
    const { r, model } = await load('dit-tiny-a.safetensors');
    const dit = model as DitTransformer;
    dit.semantics = 'diffusers';
    let c: Float32Array | undefined;
    const out = await dit
      .forward(await input(d, r, 'inputs.x'), Array.from(await r.readF32('inputs.t')), Array.from(await r.readF32('inputs.y')), {
        c: (t: Tensor) => void t.toArray().then((a) => (c = a as Float32Array)),
      })
      .toArray();
    await d.sync();
    expect(maxAbs(out, await r.readF32('outputs.out_diffusers'))).toBeLessThan(1e-4);
    expect(maxAbs(c!, await r.readF32('outputs.c_diffusers'))).toBeLessThan(1e-4);
  });
});

describe('VAE decoders', () => {
  it('FLUX autoencoder decoder (BFL/LDM names) matches golden/ae-tiny-a', async () => {
    const { r, model, detected } = await load('ae-tiny-a.safetensors');
    expect(detected.naming).toBe('ldm');
    const img = await (model as VaeDecoder).decode(await input(d, r, 'inputs.z')).toArray();
    expect(maxAbs(img, await r.readF32('outputs.image'))).toBeLessThan(1e-5);
  });

  it('SD VAE decoder (diffusers names) matches golden/sdvae-tiny-a', async () => {
    const { r, model, detected } = await load('sdvae-tiny-a.safetensors');
    expect(detected.naming).toBe('diffusers');
    const img = await (model as VaeDecoder).decode(await input(d, r, 'inputs.z')).toArray();
    expect(maxAbs(img, await r.readF32('outputs.image'))).toBeLessThan(1e-5); // a wrong GroupNorm eps moves it by 3.1e-5 (golden README)
  });
});
