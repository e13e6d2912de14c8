// FLUX.1 as a model family: BFL's names (flux1-dev.safetensors) or diffusers' (transformer/), the
// config from metadata or shapes, CLEAR students' pooling maps, and the network.
import type { ModelFamily } from '../family.js';
import { fluxClearPlan } from '../clear-student.js';
import { type FluxConfig, FLUX_PRESETS, checkFluxConfig, fluxConfigFromJson, fluxKeys } from './config.js';
import { isFluxBfl, isFluxDiffusers, fluxBflMap, fluxDiffusersMap, inferFluxConfig } from './keys.js';
import { FluxTransformer } from './transformer.js';

export const fluxFamily = {
  name: 'flux',
  label: 'FLUX',
  role: 'transformer',
  namings: ['bfl', 'diffusers'],
  presets: FLUX_PRESETS,
  naming: (keys) => (isFluxBfl(keys) ? 'bfl' : isFluxDiffusers(keys) ? 'diffusers' : undefined),
  config: ({ keys, shape, meta }, naming) =>
    meta && 'depth_single_blocks' in meta ? fluxConfigFromJson(meta) : inferFluxConfig(keys, shape, naming === 'diffusers'),
  check: checkFluxConfig,
  expected: fluxKeys,
  clearPlan: fluxClearPlan,
  map: (c, naming) => (naming === 'diffusers' ? fluxDiffusersMap(c) : fluxBflMap(c)),
  create: (device, c, weights) => new FluxTransformer(device, c, weights),
} as const satisfies ModelFamily<'flux', 'bfl' | 'diffusers', FluxConfig, FluxTransformer>;
