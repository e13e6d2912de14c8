// Loading a model from a tensor source: detect, check every key and shape, check the device can hold
// it, then stream the weights. Returns the network and the load report.
import type { Device } from '@cleardit/tensor';
import type { TensorSource } from './source.js';
import { detect, planLoad, assertLoadable, loadWeights, CheckpointError, type Detected, type LoadPlan, type LoadOptions } from './checkpoint.js';
import { type Model, familyNamed } from './families.js';
import type { VaeConfig } from './vae/config.js';
import type { AttentionMode } from './attention-mode.js';

export type { Model } from './families.js';

export interface LoadedModel {
  model: Model;
  detected: Detected;
  plan: LoadPlan;
}

/** Includes `weights16` (default true): Linear weights stored F16/BF16 stay 16-bit on the device. */
export interface LoadModelOptions extends LoadOptions {
  attention?: AttentionMode;
  vaeHint?: Partial<VaeConfig>;
  /** Refuse a checkpoint of another family (e.g. a VAE given where a transformer is wanted). */
  family?: Detected['family'];
}

export async function loadModel(device: Device, src: TensorSource, opts: LoadModelOptions = {}): Promise<LoadedModel> {
  const detected = detect(src, opts.vaeHint);
  if (opts.family && detected.family !== opts.family)
    throw new CheckpointError(`${src.name}: this is a ${detected.family} checkpoint (${detected.naming} names), not a ${opts.family} one`);
  const plan = planLoad(src, detected, opts);
  assertLoadable(src, plan, device, opts.memoryBudget, opts.allowUnexpected);
  const weights = await loadWeights(device, src, detected, src.name, opts);
  const model = familyNamed(detected.family).create(device, detected.config, weights);
  if (opts.attention && 'setAttention' in model) model.setAttention(opts.attention);
  return { model, detected, plan };
}
