// Transformer and decoder reference vectors (golden/flux-tiny-a*, dit-tiny-a, ae-tiny-a, sdvae-tiny-a):
// weights under `weights.<checkpoint key>`, inputs named after the reference forward's arguments,
// outputs compared where the model can produce them (intermediates included) and listed as skipped
// otherwise. Tolerances are absolute, from the golden README. A file's family is recognised by the
// model-family registry (the loader's own detection), so a naming the loader reads is one check reads.
import { type Device, type SafetensorsReader, type Tensor, tensor } from '@cleardit/tensor';
import { loadModel, ReaderSource, MODEL_FAMILIES, type Family, FluxTransformer, DitTransformer, VaeDecoder } from '@cleardit/models';
import { compare, type Checker, type CheckResult, type CheckRow, type Shaped } from './types.js';

/** A tensor's values and shape, read back. */
const shaped = async (t: Tensor): Promise<Shaped> => ({ data: await t.toArray(), shape: t.shape });

/** The family whose names the file's `weights.*` tensors use, by the model-family registry's own detection. */
function weightsFamily(r: SafetensorsReader): Family | undefined {
  const keys = new Set(
    r
      .keys()
      .filter((k) => k.startsWith('weights.'))
      .map((k) => k.slice('weights.'.length)),
  );
  return MODEL_FAMILIES.find((f) => f.naming(keys) !== undefined)?.name;
}

async function loadFrom(device: Device, r: SafetensorsReader) {
  return loadModel(device, new ReaderSource(r.name, [r], 'weights.'));
}

const up = async (d: Device, r: SafetensorsReader, k: string) => tensor(d, await r.readF32(k), r.info(k).shape);
const nums = async (r: SafetensorsReader, k: string) => Array.from(await r.readF32(k));

/** Compares every outputs.* tensor it produced, skips (and says so) the rest. */
async function finish(
  r: SafetensorsReader,
  title: string,
  produced: Record<string, ArrayLike<number> | Shaped>,
  tolerance: (name: string) => number,
  skipReason = 'not produced by this model',
): Promise<CheckResult> {
  const rows: CheckRow[] = [];
  const skipped: CheckResult['skipped'] = [];
  for (const key of r.keys().filter((k) => k.startsWith('outputs.'))) {
    const name = key.slice('outputs.'.length);
    if (produced[name]) rows.push(compare(name, produced[name], { data: await r.readF32(key), shape: r.info(key).shape }, tolerance(name), true));
    else skipped.push({ output: name, reason: skipReason });
  }
  return { title, rows, skipped };
}

/** The strong file's own README tolerance is 5e-4; the default file's 1e-5. */
const fluxTol = (r: SafetensorsReader) => (r.name.includes('strong') ? 5e-4 : 1e-5);

export const fluxChecker: Checker = {
  name: 'flux transformer',
  recognize: (r) => weightsFamily(r) === 'flux' && r.has('inputs.img') && !r.has('inputs.noise'),
  async run(device, r) {
    const { model } = await loadFrom(device, r);
    const flux = model as FluxTransformer;
    const got: Record<string, ArrayLike<number> | Shaped> = {};
    const reads: Promise<unknown>[] = [];
    const grab = (name: string, t: Tensor) => reads.push(shaped(t).then((a) => (got[name] = a)));
    const pred = flux.forward(
      {
        img: await up(device, r, 'inputs.img'),
        imgIds: await r.readF32('inputs.img_ids'),
        txt: await up(device, r, 'inputs.txt'),
        txtIds: r.has('inputs.txt_ids') ? await r.readF32('inputs.txt_ids') : undefined,
        timesteps: await nums(r, 'inputs.timesteps'),
        y: await up(device, r, 'inputs.y'),
        guidance: r.has('inputs.guidance') ? await nums(r, 'inputs.guidance') : undefined,
      },
      { vec: (t) => grab('vec', t), pe: (pe) => (got.pe = pe), double0: (img, txt) => (grab('double0_img', img), grab('double0_txt', txt)) },
    );
    got.pred = await shaped(pred);
    await Promise.all(reads);
    flux.dispose();
    return finish(r, `FLUX transformer (${flux.config.depth}+${flux.config.depthSingleBlocks} blocks, width ${flux.config.hiddenSize})`, got, () => fluxTol(r));
  },
};

export const ditChecker: Checker = {
  name: 'dit transformer',
  recognize: (r) => weightsFamily(r) === 'dit' && r.has('inputs.x') && r.has('inputs.t') && r.has('inputs.y'),
  async run(device, r, opts) {
    const { model } = await loadFrom(device, r);
    const dit = model as DitTransformer;
    dit.semantics = opts.ditSemantics;
    const suffix = opts.ditSemantics === 'diffusers' ? '_diffusers' : '';
    const got: Record<string, ArrayLike<number> | Shaped> = {};
    const reads: Promise<unknown>[] = [];
    const out = dit.forward(await up(device, r, 'inputs.x'), await nums(r, 'inputs.t'), await nums(r, 'inputs.y'), {
      c: (t) => reads.push(shaped(t).then((a) => (got[`c${suffix}`] = a))),
      posEmbed: (p) => (got.pos_embed = p),
    });
    got[`out${suffix}`] = await shaped(out);
    await Promise.all(reads);
    dit.dispose();
    // outputs of the other semantics are listed as skipped
    const other = opts.ditSemantics === 'dit' ? 'diffusers' : 'dit';
    return finish(
      r,
      `DiT (depth ${dit.config.depth}, width ${dit.config.hiddenSize}, ${opts.ditSemantics} semantics)`,
      got,
      () => 1e-4,
      `${other}-semantics output (see --dit-semantics)`,
    );
  },
};

export const vaeChecker: Checker = {
  name: 'vae decoder',
  recognize: (r) => weightsFamily(r) === 'vae' && r.has('inputs.z'),
  async run(device, r) {
    const { model, detected } = await loadFrom(device, r);
    const vae = model as VaeDecoder;
    const image = await shaped(vae.decode(await up(device, r, 'inputs.z')));
    vae.dispose();
    return finish(
      r,
      `VAE decoder (${detected.naming} names, latent ${vae.config.latentChannels} channels, scale ${vae.config.scalingFactor}, shift ${vae.config.shiftFactor})`,
      { image },
      () => 1e-5,
    ); // the SD file: a wrong GroupNorm eps moves it by 3.1e-5 (golden README); measured 6.4e-6
  },
};
