// One comparison: the same class, seed and noise through two models, one after the other on the one
// GPU (so neither's timing includes the other's work). Each step's images are read back and drawn, so
// the pictures appear as they denoise; a step's time is the wall time from the end of the previous
// step to the end of this one's readback (the preview is part of what the user waits for). The
// speed-up compares median steps after the first: a model's first step compiles its shaders.
import type { Device } from '@cleardit/tensor';
import type { AttentionMode } from '@cleardit/models';
import { DIGIT_CFG, digitNoise, sampleDigits } from '@cleardit/pipelines';
import type { Slot } from './models.js';

export interface RunSettings {
  classId: number;
  seed: number;
  steps: number;
  /** Image side in pixels: 32 (the training size), 64 or 128. */
  side: number;
}

export interface Progress {
  step: number;
  total: number;
  msStep: number;
  msTotal: number;
  /** The images so far, [side, side] in [−1, 1]. */
  values: Float32Array;
}

export interface RunResult {
  values: Float32Array;
  msTotal: number;
  /** The median step after the first (the first compiles the model's shaders); the first step's time when there is one step. */
  msPerStep: number;
  msFirstStep: number;
}

export const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];

/** Draws one digit with `slot` under `attention`; `onProgress` after every step. */
export async function runOne(
  device: Device,
  slot: Slot,
  attention: AttentionMode,
  s: RunSettings,
  onProgress: (p: Progress) => void,
  signal: AbortSignal,
): Promise<RunResult> {
  slot.dit.setAttention(attention);
  const t0 = performance.now();
  let last = t0;
  let values: Float32Array = new Float32Array(0);
  const stepTimes: number[] = [];
  const out = await sampleDigits(device, slot.dit, [s.classId], digitNoise([s.seed], s.side), {
    steps: s.steps,
    cfg: DIGIT_CFG,
    side: s.side,
    signal,
    onStep: async ({ step, total, latent }) => {
      values = await latent.toFloat32();
      const now = performance.now();
      stepTimes.push(now - last);
      onProgress({ step, total, msStep: now - last, msTotal: now - t0, values });
      last = now;
    },
  });
  out.dispose();
  const msTotal = performance.now() - t0;
  return { values, msTotal, msPerStep: median(stepTimes.length > 1 ? stepTimes.slice(1) : stepTimes), msFirstStep: stepTimes[0] };
}
