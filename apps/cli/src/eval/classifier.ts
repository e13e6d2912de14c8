// The digit classifier of `cleardit eval`: read from its file, or trained on the training split by
// cleardit (and written, atomically) when the file does not exist. Its held-out accuracy is measured
// on the held-out split and kept in the file's metadata.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Device, type Tensor, SafetensorsReader, tensor } from '@cleardit/tensor';
import { FileSource, writeSafetensorsFile } from '@cleardit/tensor/node';
import { CLASSIFIER_DEFAULTS, CLASSIFIER_SHAPES, accuracy, predict, trainClassifier } from '@cleardit/distill';
import { loadDigits } from '@cleardit/distill/node';
import { UsageError } from '../exit.js';

export interface Classifier {
  weights: Map<string, Tensor>;
  heldOutAccuracy: number;
  trainedSeconds?: number;
}

export async function loadOrTrainClassifier(
  device: Device,
  path: string,
  steps: number,
  say: (line: string, event: Record<string, unknown>) => void,
): Promise<Classifier> {
  if (existsSync(path)) {
    const r = await SafetensorsReader.open(await FileSource.open(path));
    try {
      const weights = new Map<string, Tensor>();
      for (const [k, shape] of CLASSIFIER_SHAPES) {
        if (!r.has(k)) throw new UsageError(`--classifier ${path}: no tensor '${k}' (not a digit classifier written by cleardit eval)`);
        weights.set(k, tensor(device, await r.readF32(k), shape).keep());
      }
      return { weights, heldOutAccuracy: Number(r.metadata.held_out_accuracy) };
    } finally {
      await r.close();
    }
  }
  const { train, heldOut } = loadDigits();
  const cfg = { ...CLASSIFIER_DEFAULTS, steps };
  say(`training the digit classifier on ${train.labels.length} digits (${cfg.steps} steps of ${cfg.batch}) into ${path}`, { event: 'classifier', file: path });
  const t0 = performance.now();
  const weights = await trainClassifier(device, train, cfg, (step, loss) => {
    if (step % 100 === 0 || step === cfg.steps) {
      const s = (performance.now() - t0) / 1000;
      say(
        `classifier step ${step}/${cfg.steps}  loss ${loss.toFixed(4)}  ${(step / s).toFixed(2)} it/s  ETA ${(((cfg.steps - step) * s) / step).toFixed(0)} s`,
        { event: 'classifier-step', step, total: cfg.steps, loss },
      );
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  const heldOutAccuracy = accuracy((await predict(device, weights, heldOut.images)).classes, heldOut.labels);
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of weights) tensors[k] = { dtype: 'F32', shape: [...t.shape], data: await t.toFloat32() };
  mkdirSync(dirname(path), { recursive: true });
  await writeSafetensorsFile(
    path,
    tensors,
    {
      held_out_accuracy: String(heldOutAccuracy),
      trained: `${cfg.steps} steps of ${cfg.batch}, AdamW ${cfg.lr}, seed ${cfg.seed}, ${seconds.toFixed(0)} s`,
      content: 'digit classifier (cleardit eval)',
    },
    { overwrite: false },
  );
  say(`classifier: ${(100 * heldOutAccuracy).toFixed(1)}% on the ${heldOut.labels.length} held-out digits, trained in ${seconds.toFixed(0)} s`, {
    event: 'classifier-done',
    heldOutAccuracy,
    seconds,
  });
  return { weights, heldOutAccuracy, trainedSeconds: seconds };
}
