import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { encodeSafetensors, normalValues } from '@cleardit/tensor';
import { cleardit, root } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'cleardit-generate-'));
const out = (name: string) => join(dir, name);
const fixtures = join(root, 'packages/models/test/fixtures');
// small and quick: the golden tiny latent DiT and SD VAE (2× decoder) at 16×16 (8×8 latent, 16 tokens), 3 steps
const LATENT_DIT = ['-m', join(fixtures, 'dit-tiny-a.safetensors'), '--vae', join(fixtures, 'sdvae-tiny-a.safetensors')];
const FAST = [...LATENT_DIT, '-W', '16', '-H', '16', '--steps', '3'];

describe('cleardit generate with the default model: the bundled digit student', () => {
  it('writes the ten digits in a row, says which model and attention it used, and takes its attention from the file', () => {
    const r = cleardit('generate', '-o', out('digits.png'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/model: digit-clear-r4 \(bundled\).*; attention: CLEAR r=4/);
    const png = decode(readFileSync(out('digits.png')));
    expect([png.width, png.height, png.channels]).toEqual([320, 32, 1]);
    expect(png.text.parameters).toMatch(
      /Steps: 20, Sampler: Euler, CFG scale: 4, Class: 0-9, Seed: 42, Size: 320x32, Model: digit-clear-r4, Attention: CLEAR r=4/,
    );
  });

  it('--class 3 -o d.png writes one 32×32 grayscale digit: the grid cell of the same seed', () => {
    const r = cleardit('generate', '--class', '3', '-o', out('d.png'));
    expect(r.status, r.stderr).toBe(0);
    const one = decode(readFileSync(out('d.png')));
    expect([one.width, one.height, one.channels]).toEqual([32, 32, 1]);
    const grid = decode(readFileSync(out('digits.png')));
    let diff = 0;
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) diff = Math.max(diff, Math.abs(one.data[y * 32 + x] - grid.data[y * 320 + 3 * 32 + x]));
    expect(diff).toBeLessThanOrEqual(2); // a batch of 1 and a batch of 10 may round differently
  });

  it('--sampler heun: closer in 6 steps to the flow ODE solution (Euler, 48 steps) than Euler in 6', () => {
    const run = (name: string, ...args: string[]) => {
      const r = cleardit('generate', '-m', 'digit-teacher', '--class', '3', ...args, '-o', out(name));
      expect(r.status, r.stderr).toBe(0);
      return decode(readFileSync(out(name)));
    };
    const heun = run('heun.png', '--sampler', 'heun', '--steps', '6');
    expect(heun.text.parameters).toMatch(/Steps: 6, Sampler: Heun,/);
    const euler = run('euler6.png', '--steps', '6');
    const truth = run('euler48.png', '--steps', '48');
    const meanDiff = (a: typeof heun, b: typeof heun) => {
      let sum = 0;
      for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i] - b.data[i]);
      return sum / a.data.length;
    };
    expect(meanDiff(heun, truth)).toBeLessThan(0.6 * meanDiff(euler, truth));
  });

  it('-m digit-teacher runs the teacher with full attention', () => {
    const r = cleardit('generate', '-m', 'digit-teacher', '--class', '3', '-o', out('t.png'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/model: digit-teacher \(bundled\).*; attention: full attention/);
  });
});

describe('cleardit generate with a latent DiT (the golden tiny DiT and SD VAE)', () => {
  let first: Buffer;
  beforeAll(() => {
    const r = cleardit('generate', ...FAST, '-o', out('a.png'));
    expect(r.status, r.stderr).toBe(0);
    first = readFileSync(out('a.png'));
  });

  it('writes a valid PNG of the requested size with its parameters in a text chunk', () => {
    const png = decode(first);
    expect([png.width, png.height]).toEqual([16, 16]);
    expect(png.text.parameters).toMatch(/Steps: 3, Sampler: DDPM, CFG scale: 4, Class: 0, Seed: 42, Size: 16x16, Model: dit-tiny-a, Attention: full attention/);
    expect(JSON.parse(png.text.cleardit).seed).toBe(42);
  });

  it('the same seed gives identical bytes; another seed does not', () => {
    expect(cleardit('generate', ...FAST, '-o', out('b.png')).status).toBe(0);
    expect(readFileSync(out('b.png')).equals(first)).toBe(true);
    expect(cleardit('generate', ...FAST, '--seed', '7', '-o', out('c.png')).status).toBe(0);
    expect(readFileSync(out('c.png')).equals(first)).toBe(false);
  });

  it('--attention clear --radius changes the image', () => {
    const r = cleardit('generate', ...FAST, '--attention', 'clear', '--radius', '1.5', '-o', out('clear.png'));
    expect(r.status, r.stderr).toBe(0);
    const a = decode(first).data;
    const b = decode(readFileSync(out('clear.png'))).data;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
    expect(diff).toBeGreaterThan(0);
    expect(decode(readFileSync(out('clear.png'))).text.parameters).toMatch(/Attention: CLEAR r=1.5/);
  });

  it('refuses to overwrite without --overwrite and leaves the first file intact; --overwrite replaces it', () => {
    const r = cleardit('generate', ...FAST, '--seed', '9', '-o', out('a.png'));
    expect(r.status).toBe(2);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('cleardit: ') && /exists/.test(l)),
    ).toHaveLength(1);
    expect(readFileSync(out('a.png')).equals(first)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(cleardit('generate', ...FAST, '--seed', '9', '--overwrite', '-o', out('a.png')).status).toBe(0);
    expect(readFileSync(out('a.png')).equals(first)).toBe(false);
  });

  it('--json prints one JSON event per line: start, steps, done', () => {
    const r = cleardit('generate', ...FAST, '--json', '-o', out('json.png'));
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const steps = events.filter((e) => e.event === 'step');
    expect(steps.map((e) => e.step)).toEqual([1, 2, 3]);
    expect(steps[0]).toMatchObject({ total: 3 });
    expect(events[events.length - 1]).toMatchObject({ event: 'done', output: out('json.png'), width: 16, height: 16 });
  });
});

describe('cleardit generate: bad usage is one line and exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['--bogus'], /unknown option '--bogus'/],
    ['bad number', ['--steps', 'abc'], /--steps expects a positive integer, got 'abc'/],
    ['missing model file', ['-m', join(dir, 'nope.safetensors')], /--model .*nope.safetensors: no such file/],
    ['wrong-family model', ['-m', join(fixtures, 'sdvae-tiny-a.safetensors')], /this is a VAE decoder; pass it as --vae/],
    ['impossible size', [...LATENT_DIT, '-W', '102', '-H', '64'], /size 102×64 is not a multiple of 4 pixels/],
    ['latent model without a VAE', ['-m', join(fixtures, 'dit-tiny-a.safetensors')], /--vae is needed to turn the DiT latent into an image/],
    ['digit class out of range', ['--class', '10'], /--class 10: this model has classes 0\.\.9/],
    ['a diffusion sampler for a flow model', ['--sampler', 'ddim'], /--sampler ddim: a flow-matching digit model samples with euler or heun/],
    ['a sampler that does not fit the model', [...LATENT_DIT, '--sampler', 'euler'], /--sampler euler is for flow models; DiT samples with ddpm or ddim/],
    ['--init-latent with DiT', [...LATENT_DIT, '--init-latent', join(fixtures, 'dit-tiny-a.safetensors')], /--init-latent is for FLUX/],
    ['a missing --init-latent', [...LATENT_DIT, '--init-latent', join(dir, 'nope.safetensors')], /--init-latent .*nope\.safetensors: no such file/],
    [
      'a transformer given as --vae',
      ['-m', join(fixtures, 'dit-tiny-a.safetensors'), '--vae', join(fixtures, 'dit-tiny-a.safetensors')],
      /--vae .*: this is a dit checkpoint, not a VAE decoder/,
    ],
    ['--strength out of range', [...LATENT_DIT, '--strength', '1.5'], /--strength expects a number in \[0, 1\], got '1\.5'/],
    ['--down-factor 0', [...LATENT_DIT, '--attention', 'clear', '--down-factor', '0'], /--down-factor expects a positive integer, got '0'/],
    [
      'size past the adapter limits',
      [...LATENT_DIT, '-W', '100000', '-H', '100000'],
      /size 100000×100000: [\d,]+ tokens need \d+ MiB buffers, above this adapter's \d+ MiB per binding/,
    ],
    ['unknown bundled name', ['-m', 'digit-nope'], /not a bundled model \(bundled: digit-clear-r4, digit-teacher\)/],
    ['known model without weights', ['-m', 'flux-dev'], /ships no weights for it/],
  ];
  for (const [name, args, msg] of cases)
    it(name, () => {
      const r = cleardit('generate', ...args, '-o', out(`bad-${name.replace(/ /g, '-')}.png`));
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l.trim() && !/^(Warning|\(Use|error: XDG| - While|\s+at )/.test(l) && !/^\(run cleardit/.test(l));
      expect(lines.join('\n')).toMatch(msg);
      expect(lines).toHaveLength(1);
      expect(existsSync(out(`bad-${name.replace(/ /g, '-')}.png`))).toBe(false);
    });
});

describe('cleardit generate --batch-count', () => {
  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  };
  it('makes N images from seeds s, s+1, … in one run, each PNG with its own seed; item i is the single run with seed s+i', () => {
    const r = cleardit('generate', ...FAST, '-s', '10', '-b', '3', '-o', out('batch.png'));
    expect(r.status, r.stderr).toBe(0);
    const pngs = [0, 1, 2].map((i) => decode(readFileSync(out(`batch-${i}.png`))));
    pngs.forEach((p, i) => expect(p.text.parameters).toMatch(new RegExp(`Seed: ${10 + i}, Size: 16x16`)));
    expect(cleardit('generate', ...FAST, '-s', '11', '-o', out('single-11.png')).status).toBe(0);
    expect(maxDiff(pngs[1].data, decode(readFileSync(out('single-11.png'))).data)).toBeLessThanOrEqual(2); // batched kernels may round differently
    expect(maxDiff(pngs[0].data, pngs[1].data)).toBeGreaterThan(10);
  });

  it('--grid writes the batch as one grid PNG that records the seed range', () => {
    const r = cleardit('generate', ...FAST, '-s', '10', '-b', '3', '--grid', '-o', out('grid.png'));
    expect(r.status, r.stderr).toBe(0);
    const png = decode(readFileSync(out('grid.png')));
    expect([png.width, png.height]).toEqual([32, 32]);
    expect(png.text.parameters).toMatch(/Seed: 10-12, Size: 16x16, Batch count: 3/);
    expect(existsSync(out('grid-0.png'))).toBe(false);
  });

  it('refuses a batch whose files exist, before any work', () => {
    const r = cleardit('generate', ...FAST, '-s', '10', '-b', '3', '-o', out('batch.png'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/batch-0\.png exists: pass --overwrite/);
  });
});

describe('cleardit generate: CLEAR options and Ctrl-C', () => {
  it('--down-factor and --proportional-scale are used and recorded', () => {
    const r = cleardit('generate', ...FAST, '--attention', 'clear', '--radius', '2', '--down-factor', '2', '--proportional-scale', '-o', out('pooled.png'));
    expect(r.status, r.stderr).toBe(0);
    expect(decode(readFileSync(out('pooled.png'))).text.parameters).toMatch(/Attention: CLEAR r=2, down factor 2, proportional scale/);
  });

  it('Ctrl-C mid-run stops within a step, exits 130 and leaves no PNG, half-written or whole', async () => {
    const { spawn } = await import('node:child_process');
    const png = out('interrupted.png');
    const child = spawn(
      process.execPath,
      [
        join(root, 'tools', 'tsrun.mjs'),
        join(root, 'apps', 'cli', 'src', 'main.ts'),
        'generate',
        ...LATENT_DIT,
        '-W',
        '16',
        '-H',
        '16',
        '--steps',
        '400',
        '-o',
        png,
      ],
      { cwd: root },
    );
    let stderr = '';
    let interruptedAt = 0;
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      if (!interruptedAt && /step 3\/400/.test(stderr)) {
        interruptedAt = Date.now();
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(interruptedAt, stderr).toBeGreaterThan(0);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted: sampling aborted after \d+ of 400 steps; no output written/);
    expect(Date.now() - interruptedAt).toBeLessThan(10_000);
    expect(existsSync(png)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('interrupted.png'))).toEqual([]);
  }, 120_000);
});

describe('cleardit generate: sizes and output paths', () => {
  it('draws a non-square DiT image', () => {
    const r = cleardit('generate', ...LATENT_DIT, '-W', '32', '-H', '16', '--steps', '2', '-o', out('wide.png'));
    expect(r.status, r.stderr).toBe(0);
    const png = decode(readFileSync(out('wide.png')));
    expect([png.width, png.height]).toEqual([32, 16]);
  });

  it('checks the output path before loading anything', () => {
    const t0 = Date.now();
    let r = cleardit('generate', ...FAST, '-o', join(dir, 'no-such-folder', 'x.png'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--output .*x\.png: the folder .*no-such-folder does not exist/);
    expect(r.stderr).not.toMatch(/step 1/);
    r = cleardit('generate', ...FAST, '-o', dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/is a folder; name a file/);
    expect(Date.now() - t0).toBeLessThan(60_000);
  });
});

describe('cleardit generate with a FLUX model (the golden tiny FLUX and autoencoder)', () => {
  const models = join(root, 'packages/models/test/fixtures');
  const emb = out('prompt.safetensors');
  beforeAll(() => {
    writeFileSync(
      emb,
      encodeSafetensors({ txt: { dtype: 'F32', shape: [7, 48], data: normalValues(5, 7 * 48) }, y: { dtype: 'F32', shape: [32], data: normalValues(6, 32) } }),
    );
    copyFileSync(join(models, 'flux-tiny-a.safetensors'), out('flux.safetensors'));
  });
  const flux = ['-m', out('flux.safetensors'), '--vae', join(models, 'ae-tiny-a.safetensors'), '--embeddings', emb, '--steps', '4'];

  it('-b 2 draws two images from seeds s and s+1, the second the single run with seed s+1', () => {
    let r = cleardit('generate', ...flux, '-W', '16', '-H', '16', '-s', '3', '-b', '2', '-o', out('fluxb.png'));
    expect(r.status, r.stderr).toBe(0);
    r = cleardit('generate', ...flux, '-W', '16', '-H', '16', '-s', '4', '-o', out('flux4.png'));
    expect(r.status, r.stderr).toBe(0);
    const a = decode(readFileSync(out('fluxb-1.png'))).data;
    const b = decode(readFileSync(out('flux4.png'))).data;
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    expect(m).toBeLessThanOrEqual(2);
  });

  it('generates from precomputed embeddings, saves the latent, and refines it at a larger size with CLEAR', () => {
    let r = cleardit('generate', ...flux, '-W', '16', '-H', '16', '--save-latent', out('base.safetensors'), '-o', out('flux.png'));
    expect(r.status, r.stderr).toBe(0);
    expect(decode(readFileSync(out('flux.png')))).toMatchObject({ width: 16, height: 16 });
    r = cleardit(
      'generate',
      ...flux,
      '-W',
      '32',
      '-H',
      '32',
      '--init-latent',
      out('base.safetensors'),
      '--strength',
      '0.7',
      '--attention',
      'clear',
      '--radius',
      '2',
      '-o',
      out('flux-up.png'),
    );
    expect(r.status, r.stderr).toBe(0);
    const up = decode(readFileSync(out('flux-up.png')));
    expect([up.width, up.height]).toEqual([32, 32]);
    expect(up.text.parameters).toMatch(/Steps: 3, Sampler: Euler, Guidance: 3.5, Denoising strength: 0.7/); // 4 steps, strength 0.7: start at index 1
  });

  it('rejects a missing or misshapen embeddings file', () => {
    let r = cleardit('generate', ...flux.filter((a) => a !== emb && a !== '--embeddings'), '-W', '16', '-H', '16', '-o', out('x.png'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/FLUX needs text conditioning: pass -p PROMPT \(with a FLUX folder, or --clip and --t5\), or --embeddings FILE/);
    const bad = out('bad-emb.safetensors');
    writeFileSync(
      bad,
      encodeSafetensors({ txt: { dtype: 'F32', shape: [7, 40], data: new Float32Array(280) }, y: { dtype: 'F32', shape: [32], data: new Float32Array(32) } }),
    );
    r = cleardit(
      'generate',
      '-m',
      out('flux.safetensors'),
      '--vae',
      join(models, 'ae-tiny-a.safetensors'),
      '--embeddings',
      bad,
      '-W',
      '16',
      '-H',
      '16',
      '-o',
      out('y.png'),
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'txt' is \[7,40\], expected \[T, 48\]/);
  });
});

// Kernels take step coefficients, counts and scales as parameters (packages/tensor/src/ops/kernel.ts),
// so a sampling loop compiles its pipelines in the first step and none after: `--verbose` reports
// the device's counter (Device.counters.pipelinesCompiled) at the first and the last step.
describe('a 50-step sampling loop compiles nothing after its first step', () => {
  const compiled = (stderr: string) => {
    const m = /pipelines compiled: (\d+) by the first step, (\d+) in the other steps/.exec(stderr);
    expect(m, stderr).not.toBeNull();
    return { first: Number(m![1]), rest: Number(m![2]) };
  };
  for (const sampler of ['ddpm', 'ddim']) {
    it(`DiT, ${sampler.toUpperCase()} with classifier-free guidance`, () => {
      const r = cleardit(
        '--verbose',
        'generate',
        ...LATENT_DIT,
        '-W',
        '16',
        '-H',
        '16',
        '--steps',
        '50',
        '--sampler',
        sampler,
        '-o',
        out(`compile-${sampler}.png`),
      );
      expect(r.status, r.stderr).toBe(0);
      const c = compiled(r.stderr);
      expect(c.first).toBeGreaterThan(0);
      expect(c.rest).toBe(0);
    });
  }
  it('FLUX, Euler', () => {
    const models = join(root, 'packages/models/test/fixtures');
    const emb = out('compile-prompt.safetensors');
    writeFileSync(
      emb,
      encodeSafetensors({ txt: { dtype: 'F32', shape: [7, 48], data: normalValues(5, 7 * 48) }, y: { dtype: 'F32', shape: [32], data: normalValues(6, 32) } }),
    );
    const r = cleardit(
      '--verbose',
      'generate',
      '-m',
      join(models, 'flux-tiny-a.safetensors'),
      '--vae',
      join(models, 'ae-tiny-a.safetensors'),
      '--embeddings',
      emb,
      '--steps',
      '50',
      '-W',
      '16',
      '-H',
      '16',
      '-o',
      out('compile-flux.png'),
    );
    expect(r.status, r.stderr).toBe(0);
    const c = compiled(r.stderr);
    expect(c.first).toBeGreaterThan(0);
    expect(c.rest).toBe(0);
  });
});

describe('quiet by default', () => {
  it("hides Dawn's adapter-probing warnings unless --verbose", () => {
    const quiet = cleardit('generate', ...FAST, '-o', out('quiet.png'), '--overwrite');
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/artificially reduced|vkCreateInstance/);
    expect(quiet.stderr).toMatch(/model: dit-tiny-a; attention: full attention/);
    const loud = cleardit('--verbose', 'generate', ...FAST, '-o', out('loud.png'));
    expect(loud.status, loud.stderr).toBe(0);
    expect(loud.stderr).toMatch(/time: device and weights/);
  });
});
