// The model-family registry: every preset of every family passes its family's config rules, and a
// checkpoint holding exactly a preset's canonical keys (headers only) is detected as that family, and
// the config it reads (inferred from the shapes; FLUX's from its metadata) needs exactly those keys. Broken configs are
// ConfigErrors that name the file, the field and the rule; unknown files list the families.
import { describe, it, expect } from 'vitest';
import type { StoredTensor } from '@cleardit/tensor';
import {
  MODEL_FAMILIES,
  modelPresets,
  familyNamed,
  detect,
  planLoad,
  checkDitConfig,
  checkVaeConfig,
  DIT_PRESETS,
  VAE_PRESETS,
  ConfigError,
  fluxConfigToJson,
  type FluxConfig,
  type AnyFamily,
  type TensorSource,
} from '../src/index.js';

/** A checkpoint of headers only: keys and shapes, no data (detect and planLoad read no tensor). */
function headers(name: string, shapes: Map<string, readonly number[]>, metadata: Record<string, string> = {}): TensorSource {
  const refuse = (): never => {
    throw new Error(`${name}: a header-only test source has no data`);
  };
  return {
    name,
    metadata,
    keys: () => [...shapes.keys()],
    info: (k) => ({ dtype: 'F32', shape: shapes.get(k)! }),
    readF32: async () => refuse(),
    readHost: async (): Promise<StoredTensor> => refuse(),
    close: async () => {},
  };
}

/** A preset's canonical keys and shapes (the names the network reads; each family's loader maps its other namings onto them). */
function canonicalShapes(family: AnyFamily, config: Parameters<AnyFamily['check']>[0]): Map<string, number[]> {
  return family.expected(config);
}

/** Which naming each family's canonical keys are (the other namings' fixtures are the golden files). */
const CANONICAL: Record<string, string> = { flux: 'bfl', dit: 'diffusers', vae: 'diffusers' };

describe('model families', () => {
  it('every preset passes its family’s config rules', () => {
    expect(modelPresets().length).toBe(MODEL_FAMILIES.reduce((n, f) => n + Object.keys(f.presets).length, 0));
    for (const { name, family } of modelPresets()) expect(() => family.check(family.presets[name]), name).not.toThrow();
  });

  it('a file holding exactly a preset’s canonical keys is detected as its family, its config (from shapes, or from FLUX’s metadata) needs exactly those keys', () => {
    for (const family of MODEL_FAMILIES as readonly AnyFamily[])
      for (const [preset, config] of Object.entries(family.presets)) {
        // FLUX's head dim does not fix its RoPE axes, so a FLUX file carries its config (as cleardit writes it)
        const meta: Record<string, string> = family.name === 'flux' ? { config: JSON.stringify(fluxConfigToJson(config as FluxConfig)) } : {};
        const src = headers(`${preset}.safetensors`, canonicalShapes(family, config), meta);
        const det = detect(src);
        if (family.name === 'flux') expect(det.config, src.name).toEqual(config);
        expect([det.family, det.naming], src.name).toEqual([family.name, CANONICAL[family.name]]);
        expect(family.namings, src.name).toContain(det.naming);
        const plan = planLoad(src, det);
        expect({ missing: plan.missing, unexpected: plan.unexpected, shapeErrors: plan.shapeErrors }, src.name).toEqual({
          missing: [],
          unexpected: [],
          shapeErrors: [],
        });
      }
  });

  it('every naming maps every canonical key of every preset (a parameter without a name in a naming is an error)', () => {
    for (const family of MODEL_FAMILIES as readonly AnyFamily[])
      for (const [preset, config] of Object.entries(family.presets)) {
        const canonical = canonicalShapes(family, config);
        for (const naming of family.namings) {
          const map = family.map(config, naming, new Set(canonical.keys()));
          expect([...map.keys()].sort(), `${preset} in ${naming} names`).toEqual([...canonical.keys()].sort());
          const sources = [...map.values()].flatMap((s) => s.parts.map((p) => `${p}${s.rows ? `[${s.rows}]` : ''}`));
          expect(new Set(sources).size, `${preset} in ${naming} names: no file tensor (or row block) feeds two parameters`).toBe(sources.length);
        }
      }
  });

  it('familyNamed finds each family by its name', () => {
    for (const f of MODEL_FAMILIES) expect(familyNamed(f.name)).toBe(f);
  });

  it('DiT and VAE configs name the field and the rule they break', () => {
    const dit = DIT_PRESETS['dit-tiny'];
    expect(() => checkDitConfig({ ...dit, numHeads: 3 })).toThrowError(/DiT config: hidden size 64 is not a multiple of 3 heads/);
    expect(() => checkDitConfig({ ...dit, inputSize: 9 })).toThrowError(/input size 9 is not a multiple of the patch size 2/);
    expect(() => checkDitConfig({ ...dit, hiddenSize: 66, numHeads: 1 })).toThrowError(/hidden size 66 is not a multiple of 4/);
    expect(() => checkDitConfig({ ...dit, depth: 0 })).toThrowError(/depth 0 is not a positive integer/);
    const vae = VAE_PRESETS['sd-vae'];
    expect(() => checkVaeConfig({ ...vae, blockOutChannels: [128, 200] })).toThrowError(/block width 200 .* is not a positive multiple of 32 groups/);
    expect(() => checkVaeConfig({ ...vae, blockOutChannels: [] })).toThrowError(/blockOutChannels is empty/);
  });

  it('a checkpoint whose metadata config breaks a rule is a ConfigError naming the file', () => {
    const family = familyNamed('dit');
    const config = DIT_PRESETS['dit-tiny'];
    const meta = {
      config: JSON.stringify({ input_size: 8, patch_size: 2, in_channels: 4, hidden_size: 64, depth: 2, num_heads: 5, mlp_ratio: 4, num_classes: 10 }),
    };
    const src = headers('bad-heads.safetensors', canonicalShapes(family, config), meta);
    expect(() => detect(src)).toThrowError(ConfigError);
    expect(() => detect(src)).toThrowError(/^bad-heads\.safetensors: DiT config: hidden size 64 is not a multiple of 5 heads$/);
  });

  it('a file of no known family lists the families', () => {
    expect(() => detect(headers('weights.safetensors', new Map([['encoder.w', [2]]])))).toThrowError(
      /weights\.safetensors: not a checkpoint cleardit knows \(FLUX, DiT or a VAE decoder\); its first tensors are encoder\.w/,
    );
  });
});
