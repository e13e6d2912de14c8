// @cleardit/pipelines: models wired to samplers, shared by the CLI and the playground so that both draw
// the same image from the same seed. Imports @cleardit/models and @cleardit/sampler; runs in Node and browsers.
export { viewDit, digitNoise, DIGIT_CFG, sampleDigits, gridPixels, type DigitSampling } from './digits.js';
export { loadDigitModel, isDigitConfig, type DigitModel } from './digit-model.js';
export {
  sampleFlux,
  readConditioning,
  fluxConditioning,
  checkFluxSize,
  vaeFactor,
  ConditioningError,
  type FluxConditioning,
  type FluxSampling,
  type FluxImages,
} from './flux.js';
