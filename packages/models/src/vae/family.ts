// The VAE decoder as a model family: diffusers' AutoencoderKL names or the LDM originals (FLUX's
// ae.safetensors), the config from shapes with scaling factors from the hint or the known defaults.
import type { ModelFamily } from '../family.js';
import { type VaeConfig, VAE_PRESETS, checkVaeConfig, vaeKeys } from './config.js';
import { isVaeDecoder, isVaeLdm, vaeDiffusersMap, vaeLdmMap, inferVaeConfig } from './keys.js';
import { VaeDecoder } from './decoder.js';

export const vaeFamily = {
  name: 'vae',
  label: 'VAE decoder',
  role: 'autoencoder',
  namings: ['ldm', 'diffusers'],
  presets: VAE_PRESETS,
  naming: (keys) => (!isVaeDecoder(keys) ? undefined : isVaeLdm(keys) ? 'ldm' : 'diffusers'),
  config: ({ keys, shape }, naming, hint) => inferVaeConfig(keys, shape, naming === 'ldm', hint),
  check: checkVaeConfig,
  expected: vaeKeys,
  map: (c, naming, keys) => (naming === 'ldm' ? vaeLdmMap(c, keys) : vaeDiffusersMap(c, keys)),
  create: (device, c, weights) => new VaeDecoder(device, c, weights),
} as const satisfies ModelFamily<'vae', 'ldm' | 'diffusers', VaeConfig, VaeDecoder>;
