// DiT as a model family: diffusers' DiTTransformer2DModel names or facebookresearch/DiT's originals,
// the config from metadata (cleardit's own checkpoints) or shapes, CLEAR students' pooling maps, and
// the network.
import type { ModelFamily } from '../family.js';
import { ditClearPlan } from '../clear-student.js';
import { type DitConfig, DIT_PRESETS, checkDitConfig, ditConfigFromJson, ditKeys } from './config.js';
import { isDitDiffusers, isDitOriginal, ditDiffusersMap, ditOriginalMap, inferDitConfig, ditIgnoredKeys } from './keys.js';
import { DitTransformer } from './transformer.js';

export const ditFamily = {
  name: 'dit',
  label: 'DiT',
  role: 'transformer',
  namings: ['original', 'diffusers'],
  presets: DIT_PRESETS,
  naming: (keys) => (isDitOriginal(keys) ? 'original' : isDitDiffusers(keys) ? 'diffusers' : undefined),
  config: ({ keys, shape, meta }, naming) => (meta && 'input_size' in meta ? ditConfigFromJson(meta) : inferDitConfig(keys, shape, naming === 'original')),
  check: checkDitConfig,
  expected: ditKeys,
  clearPlan: ditClearPlan,
  map: (c, naming) => (naming === 'original' ? ditOriginalMap(c) : ditDiffusersMap(c)),
  ignore: ditIgnoredKeys,
  create: (device, c, weights) => new DitTransformer(device, c, weights),
} as const satisfies ModelFamily<'dit', 'original' | 'diffusers', DitConfig, DitTransformer>;
