// A digit model from any tensor source (a file in Node, a Blob or fetched bytes in the browser): the
// bundled teacher and student, or whatever `cleardit train` / `cleardit distill` wrote. The file's own
// metadata says what it is: `prediction: flow` (a pixel-space flow model) and, for a distilled
// student, the CLEAR `attention` it was trained with.
import type { Device } from '@cleardit/tensor';
import { CheckpointError, DitTransformer, FULL, loadModel, type AttentionMode, type TensorSource } from '@cleardit/models';

export interface DigitModel {
  dit: DitTransformer;
  /** The attention the file names (a distilled student's CLEAR), else full attention. */
  attention: AttentionMode;
  /** The file's own description (`about` metadata), if any. */
  about?: string;
}

/** True for a DiT on 32×32×1 pixels trained with flow matching: what the digit pipeline draws. */
export const isDigitConfig = (dit: DitTransformer) => dit.config.inChannels === 1 && dit.config.inputSize === 32 && !dit.config.learnSigma;

/** Loads a digit model and sets the attention its file names; `src` stays open (the caller closes it). */
export async function loadDigitModel(device: Device, src: TensorSource, opts: { memoryBudget?: number } = {}): Promise<DigitModel> {
  const { model } = await loadModel(device, src, { family: 'dit', memoryBudget: opts.memoryBudget });
  const dit = model as DitTransformer;
  if (!isDigitConfig(dit) || src.metadata.prediction !== 'flow') {
    dit.dispose();
    throw new CheckpointError(
      `${src.name}: not a digit model (expected a flow-matching DiT on 32×32×1 pixels with 'prediction: flow' metadata; got ${dit.config.inputSize}×${dit.config.inputSize}×${dit.config.inChannels}, prediction '${src.metadata.prediction ?? 'none'}')`,
    );
  }
  let attention: AttentionMode = FULL;
  if (src.metadata.attention) {
    try {
      attention = JSON.parse(src.metadata.attention) as AttentionMode;
    } catch {
      dit.dispose();
      throw new CheckpointError(`${src.name}: metadata 'attention' is not JSON: ${src.metadata.attention.slice(0, 80)}`);
    }
  }
  dit.setAttention(attention);
  return { dit, attention, about: src.metadata.about };
}
