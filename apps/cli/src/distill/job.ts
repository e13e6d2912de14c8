// What `cleardit distill` needs of a model family, in one shape: the teacher as a tapped model, the
// student built over given weights, the teacher samples, which weights train, a sample grid (when the
// family can draw one without other files) and the student's model file.
import { join } from 'node:path';
import type { Device } from '@cleardit/tensor';
import { writeSafetensorsFile } from '@cleardit/tensor/node';
import {
  DitTransformer,
  FluxTransformer,
  ditClearPlan,
  fluxClearPlan,
  fluxConfigToJson,
  describeAttention,
  type AttentionMode,
  type ClearTrainingPlan,
  type Weights,
} from '@cleardit/models';
import type { SampleSet, TappedModel } from '@cleardit/distill';
import { encodePng, writePng } from '../generate/png.js';
import { DIGIT_CFG, digitNoise, gridPixels, sampleDigits } from '@cleardit/pipelines';
import { type DigitSamples, digitSampleSet, tappedDit, weightsAsF32, writeDigitModel } from './digits.js';
import { type FluxCond, type FluxSamples, fluxSampleSet, tappedFlux } from './flux.js';

export interface DistillJob<C> {
  teacherWeights: Weights;
  plan: ClearTrainingPlan;
  teacher: TappedModel<C>;
  /** The student over `weights` (the teacher's, with the trainable ones replaced), attending with CLEAR. */
  student(weights: Weights): TappedModel<C>;
  data: SampleSet<C>;
  /** Writes a grid of student samples for `step` and returns its path (undefined: the family draws none). */
  sampleGrid?(step: number): Promise<string>;
  writeStudent(file: string, trained: string): Promise<void>;
}

export function digitJob(
  device: Device,
  teacher: DitTransformer,
  data: DigitSamples,
  attention: AttentionMode,
  out: string,
  seed: number,
): DistillJob<number[]> {
  let dit: DitTransformer | undefined;
  return {
    teacherWeights: teacher.weights,
    plan: ditClearPlan(teacher.config),
    teacher: tappedDit(teacher),
    student(weights) {
      dit = new DitTransformer(device, teacher.config, weights);
      dit.setAttention(attention);
      return tappedDit(dit);
    },
    data: digitSampleSet(data, seed, 0.1, teacher.config.numClasses),
    async sampleGrid(step) {
      const labels = Array.from({ length: 10 }, (_, i) => i);
      const img = await sampleDigits(device, dit!, labels, digitNoise(labels.map(() => 1)));
      const g = gridPixels(await img.toFloat32(), 10);
      img.dispose();
      const file = join(out, `samples-${step}.png`);
      await writePng(
        file,
        encodePng(
          g.pixels,
          g.width,
          g.height,
          { parameters: `digits 0-9, student ${describeAttention(attention)}, step ${step}, Euler 20 steps, CFG ${DIGIT_CFG}, seed 1 for each` },
          1,
        ),
        true,
      );
      return file;
    },
    writeStudent: (file, trained) => writeDigitModel(file, dit!, attention, trained, true),
  };
}

export function fluxJob(device: Device, teacher: FluxTransformer, data: FluxSamples, attention: AttentionMode): DistillJob<FluxCond> {
  let flux: FluxTransformer | undefined;
  const c = teacher.config;
  return {
    teacherWeights: teacher.weights,
    plan: fluxClearPlan(c),
    teacher: tappedFlux(teacher, data.height, data.width, data.textLength),
    student(weights) {
      flux = new FluxTransformer(device, c, weights);
      flux.setAttention(attention);
      return tappedFlux(flux, data.height, data.width, data.textLength);
    },
    data: fluxSampleSet(data, c),
    async writeStudent(file, trained) {
      await writeSafetensorsFile(
        file,
        await weightsAsF32(device, flux!.weights),
        { config: JSON.stringify(fluxConfigToJson(c)), attention: JSON.stringify(attention), about: `${describeAttention(attention)}; ${trained}` },
        { overwrite: true },
      );
    },
  };
}
