// The digit side of `cleardit distill`: the teacher's samples as the distillation data (with the
// noise and class each came from), the DiT as a tapped model for @cleardit/distill, and student files.
import { existsSync } from 'node:fs';
import type { Device, Tensor } from '@cleardit/tensor';
import { SafetensorsReader, noGrad, uniformValues } from '@cleardit/tensor';
import { FileSource, writeSafetensorsFile } from '@cleardit/tensor/node';
import { DitTransformer, describeAttention, type AttentionMode, type Weights } from '@cleardit/models';
import { derivedSeed, type SampleSet, type TappedModel } from '@cleardit/distill';
import { UsageError } from '../exit.js';
import { digitNoise, sampleDigits } from '@cleardit/pipelines';

/** Teacher samples: x₀ [n, 1, 32, 32], the noise each started from, and its class. */
export interface DigitSamples {
  x0: Float32Array;
  noise: Float32Array;
  labels: Int32Array;
}

/** The seed of sample i's noise in a data set drawn with `seed`. */
export const sampleSeed = (seed: number, i: number) => derivedSeed(seed, 0x5a, i);

/**
 * The guidance the distillation data is drawn with: 1, none. The student's losses score its conditional
 * (and, for the null class, unconditional) prediction against the teacher's, so its L_fm data must be
 * samples of that same conditional distribution. Samples drawn with CFG 4 are not: L_fm then pulls the
 * student's conditional prediction toward the guided one, and guidance at sampling time is applied a
 * second time (measured: with CFG 4 data, r = 8 lost 2.6 dB PSNR against its zero-shot twin).
 * FLUX.1-dev is the same rule in another form: its samples and both models use guidance 3.5.
 */
export const DISTILL_DATA_CFG = 1;

/** Draws `count` samples from the teacher (class i mod 10, Euler 20 steps, guidance `cfg`), `batch` at a time. */
export async function drawTeacherSamples(
  device: Device,
  teacher: DitTransformer,
  count: number,
  seed: number,
  cfg: number,
  onBatch: (done: number) => void,
  batch = 50,
): Promise<DigitSamples> {
  const per = 32 * 32;
  const out: DigitSamples = {
    x0: new Float32Array(count * per),
    noise: new Float32Array(count * per),
    labels: Int32Array.from({ length: count }, (_, i) => i % 10),
  };
  for (let s = 0; s < count; s += batch) {
    const idx = Array.from({ length: Math.min(batch, count - s) }, (_, j) => s + j);
    const noise = digitNoise(idx.map((i) => sampleSeed(seed, i)));
    const x = await sampleDigits(
      device,
      teacher,
      idx.map((i) => out.labels[i]),
      noise,
      { cfg },
    );
    out.x0.set(await x.toFloat32(), s * per);
    out.noise.set(noise, s * per);
    x.dispose();
    onBatch(s + idx.length);
  }
  return out;
}

export async function writeDigitSamples(path: string, d: DigitSamples, cfg: number, about: Record<string, string>): Promise<void> {
  const n = d.labels.length;
  await writeSafetensorsFile(
    path,
    {
      x0: { dtype: 'F32', shape: [n, 1, 32, 32], data: d.x0 },
      noise: { dtype: 'F32', shape: [n, 1, 32, 32], data: d.noise },
      labels: { dtype: 'F32', shape: [n], data: Float32Array.from(d.labels) },
    },
    { ...about, cfg: String(cfg), content: `teacher samples for CLEAR distillation: x0 (Euler 20 steps, CFG ${cfg}, from noise), class labels` },
    { overwrite: false },
  );
}

/** Reads a samples file; `cfg` is the guidance the run expects its data to have been drawn with. */
export async function readDigitSamples(path: string, cfg: number): Promise<DigitSamples> {
  if (!existsSync(path)) throw new UsageError(`--data ${path}: no such file`);
  const r = await SafetensorsReader.open(await FileSource.open(path));
  try {
    const drawnWith = r.metadata.cfg === undefined ? undefined : Number(r.metadata.cfg);
    if (drawnWith !== cfg) throw new UsageError(`--data ${path}: drawn with CFG ${drawnWith ?? 'unrecorded'}, this run expects CFG ${cfg} (--data-cfg)`);
    for (const k of ['x0', 'noise', 'labels']) if (!r.has(k)) throw new UsageError(`--data ${path}: no tensor '${k}' (not a file written by cleardit distill)`);
    const labels = Int32Array.from(await r.readF32('labels'));
    const x0 = await r.readF32('x0');
    if (x0.length !== labels.length * 1024) throw new UsageError(`--data ${path}: x0 holds ${x0.length} values, expected ${labels.length} × 1 × 32 × 32`);
    return { x0, noise: await r.readF32('noise'), labels };
  } finally {
    await r.close();
  }
}

/**
 * The samples as distillation data. As in the teacher's training, 10% of labels become the null class
 * (from a seed of (seed, step)), so the student also learns the unconditional prediction that
 * classifier-free guidance uses.
 */
export function digitSampleSet(d: DigitSamples, seed: number, dropLabel = 0.1, nullClass = 10): SampleSet<number[]> {
  return {
    count: d.labels.length,
    shape: [1, 32, 32],
    x0: d.x0,
    cond: (idx, step) => {
      const u = uniformValues(derivedSeed(seed, 2, step), idx.length);
      return idx.map((i, b) => (u[b] < dropLabel ? nullClass : d.labels[i]));
    },
  };
}

/** The DiT as distillation runs it: σ ∈ [0, 1] enters as timestep 1000·σ; its attention outputs go to the tap. */
export const tappedDit =
  (dit: DitTransformer): TappedModel<number[]> =>
  (xt, sigma, labels, tap) =>
    dit.forward(
      xt,
      sigma.map((s) => 1000 * s),
      labels,
      { attention: tap },
    );

/** Every weight, row-block ones assembled, as f32 safetensors entries (a student file holds whole weights). */
export async function weightsAsF32(device: Device, w: Weights): Promise<Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>> {
  const out: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const name of w.names()) {
    const stored = w.tensors.get(name);
    const t: Tensor = stored ?? noGrad(device, () => w.get(name)); // a row-block weight is assembled here (off the tape), and freed below
    out[name] = { dtype: 'F32', shape: [...t.shape], data: await t.toFloat32() };
    if (!stored) t.dispose();
  }
  return out;
}

/** A student (or teacher) as a model file: every weight under its diffusers DiT name, config and attention in the metadata. */
export async function writeDigitModel(path: string, dit: DitTransformer, attention: AttentionMode, trained: string, overwrite: boolean): Promise<void> {
  const c = dit.config;
  const tensors = await weightsAsF32(dit.device, dit.weights);
  const config = {
    input_size: c.inputSize,
    patch_size: c.patchSize,
    in_channels: c.inChannels,
    hidden_size: c.hiddenSize,
    depth: c.depth,
    num_heads: c.numHeads,
    mlp_ratio: c.mlpRatio,
    num_classes: c.numClasses,
    learn_sigma: c.learnSigma,
  };
  await writeSafetensorsFile(
    path,
    tensors,
    { config: JSON.stringify(config), prediction: 'flow', attention: JSON.stringify(attention), about: `${describeAttention(attention)}; ${trained}` },
    { overwrite },
  );
}
