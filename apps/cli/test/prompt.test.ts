// FLUX from a prompt, end to end: a tiny FLUX folder in diffusers' layout — the golden text encoders
// (transformers' tiny CLIP and T5, fixtures/text), a seeded random transformer whose text and vector
// widths are theirs (32), the golden tiny autoencoder — generates through `generate -m DIR -p …`; the
// same prompt through `encode` + `--embeddings` gives the identical image; `check DIR` runs the golden
// folders; `inspect DIR` lists the parts.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { normalValues, encodeSafetensors, SafetensorsReader } from '@cleardit/tensor';
import { FileSource } from '@cleardit/tensor/node';
import { fluxConfigToJson, fluxKeys, type FluxConfig } from '@cleardit/models';
import { cleardit, root } from './run.js';
import { readPngInfo } from '../src/generate/png.js';

const fixtures = join(root, 'packages/models/test/fixtures');
let dir: string;
let flux: string;
const out = (f: string) => join(dir, f);

/** The tiny transformer: FLUX's layout at width 64, one block of each kind, txt and y 32 wide as the tiny encoders give. */
const CONFIG: FluxConfig = {
  inChannels: 16,
  vecInDim: 32,
  contextInDim: 32,
  hiddenSize: 64,
  mlpRatio: 4,
  numHeads: 4,
  depth: 1,
  depthSingleBlocks: 1,
  axesDim: [4, 6, 6],
  theta: 10000,
  qkvBias: true,
  guidanceEmbed: true,
};

function writeFluxFolder(path: string): void {
  for (const sub of ['transformer', 'vae']) mkdirSync(join(path, sub), { recursive: true });
  writeFileSync(
    join(path, 'model_index.json'),
    JSON.stringify({
      _class_name: 'FluxPipeline',
      transformer: ['diffusers', 'FluxTransformer2DModel'],
      vae: ['diffusers', 'AutoencoderKL'],
      text_encoder: ['transformers', 'CLIPTextModel'],
      text_encoder_2: ['transformers', 'T5EncoderModel'],
    }),
  );
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  let seed = 7000;
  for (const [k, shape] of fluxKeys(CONFIG)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const scale = k.endsWith('.scale') ? 0 : k.endsWith('.bias') ? 0.02 : 0.1;
    tensors[k] = { dtype: 'F32', shape, data: normalValues(seed++, n).map((v) => (k.endsWith('.scale') ? 1 : v * scale)) };
  }

  writeFileSync(
    join(path, 'transformer', 'diffusion_pytorch_model.safetensors'),
    encodeSafetensors(tensors, { config: JSON.stringify(fluxConfigToJson(CONFIG)) }),
  );
  copyFileSync(join(fixtures, 'ae-tiny-a.safetensors'), join(path, 'vae', 'diffusion_pytorch_model.safetensors'));
  cpSync(join(fixtures, 'text/clip-tiny'), path, { recursive: true });
  cpSync(join(fixtures, 'text/t5-tiny'), path, { recursive: true });
  rmSync(join(path, 'golden.safetensors'));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cleardit-prompt-'));
  flux = out('FLUX.1-tiny');
  writeFluxFolder(flux);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pixels = (f: string) => decode(readFileSync(f));

describe('FLUX from a prompt', () => {
  const PROMPT = 'a red fox in snow';
  const common = ['-W', '16', '-H', '16', '--steps', '3', '-s', '5', '--max-sequence-length', '64'];

  it('generate -m DIR -p writes the image, reports what loaded when, and the PNG records the prompt', () => {
    const r = cleardit('generate', '-m', flux, '-p', PROMPT, ...common, '-o', out('fox.png'));
    expect(r.status, r.stderr).toBe(0);
    const log = r.stderr;
    console.log(log);
    const order = [
      'loading CLIP',
      'CLIP encoded the prompt and was freed',
      'loading T5',
      'T5 encoded the prompt (64 tokens) and was freed',
      'model: FLUX.1-tiny',
    ].map((s) => log.indexOf(s));
    expect(
      order.every((i) => i >= 0),
      log,
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const png = readPngInfo(readFileSync(out('fox.png')));
    expect([png.width, png.height]).toEqual([16, 16]);
    expect(png.text.parameters.split('\n')[0]).toBe(PROMPT);
    expect(JSON.parse(png.text.cleardit).prompt).toBe(PROMPT);
  });

  it('a prompt Latin-1 cannot hold is recorded as UTF-8 (iTXt)', () => {
    const intl = 'über-naïve café 東京 🚀';
    const r = cleardit('generate', '-m', flux, '-p', intl, ...common, '-o', out('intl.png'));
    expect(r.status, r.stderr).toBe(0);
    const text = readPngInfo(readFileSync(out('intl.png'))).text;
    expect(text.parameters.split('\n')[0]).toBe(intl);
    expect(JSON.parse(text.cleardit).prompt).toBe(intl);
  });

  it('encode + --embeddings gives the identical image; another prompt gives another', () => {
    let r = cleardit('encode', '-m', flux, '-p', PROMPT, '--max-sequence-length', '64', '-o', out('fox.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('wrote');
    r = cleardit('generate', '-m', flux, '--embeddings', out('fox.safetensors'), ...common, '-o', out('fox-emb.png'));
    expect(r.status, r.stderr).toBe(0);
    expect(Buffer.from(pixels(out('fox-emb.png')).data).equals(Buffer.from(pixels(out('fox.png')).data))).toBe(true);
    r = cleardit('generate', '-m', flux, '-p', 'a blue whale', ...common, '-o', out('whale.png'));
    expect(r.status, r.stderr).toBe(0);
    expect(Buffer.from(pixels(out('whale.png')).data).equals(Buffer.from(pixels(out('fox.png')).data))).toBe(false);
  });

  it('the embeddings file holds txt [T, 32], y [32] and the prompt; an existing output is not overwritten', async () => {
    const r = await SafetensorsReader.open(await FileSource.open(out('fox.safetensors')));
    expect([r.info('txt').shape, r.info('y').shape]).toEqual([[64, 32], [32]]);
    expect(r.metadata.prompt).toBe(PROMPT);
    await r.close();
    const again = cleardit('encode', '-m', flux, '-p', PROMPT, '-o', out('fox.safetensors'));
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/exists/);
  });

  it('a BFL-style transformer file with --clip, --t5 and --vae named beside it', () => {
    const r = cleardit(
      'generate',
      '-m',
      join(flux, 'transformer', 'diffusion_pytorch_model.safetensors'),
      '--vae',
      join(flux, 'vae'),
      '--clip',
      flux,
      '--t5',
      join(flux, 'text_encoder_2'),
      '-p',
      PROMPT,
      ...common,
      '-o',
      out('fox-bfl.png'),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(Buffer.from(pixels(out('fox-bfl.png')).data).equals(Buffer.from(pixels(out('fox.png')).data))).toBe(true);
  });

  it('clear errors: a prompt without encoders, a prompt for a digit model, a folder without a tokenizer', () => {
    let r = cleardit('generate', '-m', join(flux, 'transformer'), '--vae', join(flux, 'vae'), '-p', PROMPT, ...common, '-o', out('x.png'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--prompt needs FLUX's text encoders, and .* has no CLIP \(--clip DIR: text_encoder\/ \+ tokenizer\/\) and no T5/);
    r = cleardit('generate', '-p', PROMPT, '-o', out('y.png'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--prompt is FLUX's, and .*digit-clear-r4.safetensors is a dit checkpoint/);
    const lone = out('lone-t5');
    cpSync(join(flux, 'text_encoder_2'), lone, { recursive: true });
    r = cleardit('encode', '--clip', flux, '--t5', lone, '-p', PROMPT, '-o', out('z.safetensors'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/lone-t5: the T5 encoder is here but not its tokenizer \(tokenizer\.json beside it, or in \.\.\/tokenizer_2\/\)/);
  });

  it('inspect DIR lists the parts of a FLUX folder, their dtypes and the memory each needs', () => {
    const r = cleardit('inspect', flux, '--json');
    expect(r.status, r.stderr).toBe(0);
    const parts = JSON.parse(r.stdout).parts as { part: string; family: string; dtypes: Record<string, number>; bytesNeeded: number; hostBytes: number }[];
    expect(parts.map((p) => p.part)).toEqual(['text_encoder', 'text_encoder_2', 'transformer', 'vae']);
    expect(parts.map((p) => p.family)).toEqual(['clip', 't5', 'flux', 'vae']);
    expect(parts[0].hostBytes).toBe(49408 * 32 * 4);
    expect(parts.every((p) => p.bytesNeeded > 0 && p.dtypes.F32 > 0)).toBe(true);
    const text = cleardit('inspect', flux);
    console.log(text.stdout);
    expect(text.stdout).toMatch(/text_encoder\s+clip/);
    expect(text.stdout).toMatch(/loaded in this order: text_encoder, text_encoder_2 \(each freed after encoding\), then transformer, vae/);
  });
});

describe('cleardit check on the golden text folders', () => {
  it('token ids exact, hidden states and pooled output within 1e-4, for both folders', () => {
    const r = cleardit('check', join(fixtures, 'text/clip-tiny'), join(fixtures, 'text/t5-tiny'));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/clip-tiny: CLIP text encoder/);
    expect(r.stdout).toMatch(/ids_5\s+77 ids equal\s+exact\s+PASS/);
    expect(r.stdout).toMatch(/pooled_0/);
    expect(r.stdout).toMatch(/t5-tiny: T5 encoder/);
    expect(r.stdout).not.toMatch(/FAIL/);
  });

  it('a wrong id is a FAIL with the position, exit 1', () => {
    const bad = out('clip-bad');
    cpSync(join(fixtures, 'text/clip-tiny'), bad, { recursive: true });
    const vocab = JSON.parse(readFileSync(join(bad, 'tokenizer/vocab.json'), 'utf8'));
    [vocab['cat</w>'], vocab['dog</w>']] = [vocab['dog</w>'], vocab['cat</w>']]; // prompt 0 is "a photo of a cat"
    writeFileSync(join(bad, 'tokenizer/vocab.json'), JSON.stringify(vocab));
    const r = cleardit('check', bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/ids_0\s+first difference at 5: got \d+, want 2368\s+exact\s+FAIL/);
  });
});
