// Training checkpoints as one safetensors file: the parameters and the optimizer's state (the format
// of @cleardit/tensor's checkpoints), the EMA under `ema.<name>` when the run has one, and the step and the run's config as
// JSON in the metadata key `cleardit.training`. Written atomically (a temporary file renamed into
// place); before a new one replaces it, the previous checkpoint is kept as `<name>.prev.safetensors`,
// so a crash or a damaged file always leaves the last good state on disk.
import { existsSync, renameSync } from 'node:fs';
import { type Device, type Optimizer, type Tensor, InputError, SafetensorsReader, checkpointTensors, loadCheckpoint, tensor } from '@cleardit/tensor';
import { FileSource, writeSafetensorsFile } from '@cleardit/tensor/node';
import type { TrainConfig } from '../trainer.js';
import type { Ema } from '../ema.js';

/** What a checkpoint holds of a run: the flow trainer (with its EMA) and the distillation trainer both are one. */
export interface Resumable<Config = unknown> {
  readonly device: Device;
  readonly params: ReadonlyMap<string, Tensor>;
  readonly optimizer: Optimizer;
  readonly config: Config;
  readonly ema?: Ema;
  step: number;
}

export const TRAINING_METADATA_KEY = 'cleardit.training';

/** A training checkpoint (weights, optimizer state, step, data order, RNG) is missing or unreadable; not the models' CheckpointError (a model file). */
export class TrainingCheckpointError extends InputError {
  override name = 'TrainingCheckpointError';
}

export interface TrainingState<Config = TrainConfig> {
  step: number;
  config: Config;
  /** What the run trains (model family and config), for whoever loads the file. */
  model: Record<string, unknown>;
}

/** The previous checkpoint's path beside `path`. */
export const previousPath = (path: string) => path.replace(/(\.safetensors)?$/, '.prev.safetensors');

export async function saveTrainingCheckpoint(path: string, trainer: Resumable, model: Record<string, unknown>): Promise<void> {
  const { tensors, metadata } = await checkpointTensors(trainer.params, trainer.optimizer);
  for (const [name, t] of trainer.ema?.tensors ?? []) tensors[`ema.${name}`] = { dtype: 'F32', shape: [...t.shape], data: await t.toFloat32() };
  const state: TrainingState<unknown> = { step: trainer.step, config: trainer.config, model };
  metadata[TRAINING_METADATA_KEY] = JSON.stringify(state);
  if (existsSync(path)) renameSync(path, previousPath(path));
  await writeSafetensorsFile(path, tensors, metadata, { overwrite: true });
}

/** Reads a checkpoint's training state without loading tensors (to rebuild the trainer it belongs to). */
export async function readTrainingState<Config = TrainConfig>(path: string): Promise<TrainingState<Config>> {
  const reader = await openCheckpoint(path);
  try {
    return trainingState(reader, path) as TrainingState<Config>;
  } finally {
    await reader.close();
  }
}

/** Restores parameters, optimizer, EMA (when the trainer has one) and step from `path` into a trainer built with the same config. */
export async function loadTrainingCheckpoint(path: string, trainer: Resumable): Promise<TrainingState<unknown>> {
  const reader = await openCheckpoint(path);
  try {
    const state = trainingState(reader, path);
    await loadCheckpoint(reader, trainer.params, trainer.optimizer);
    if (trainer.ema) {
      const ema = new Map<string, Tensor>();
      for (const [name, p] of trainer.params) {
        const key = `ema.${name}`;
        if (!reader.has(key)) throw new TrainingCheckpointError(`${path}: no EMA tensor '${key}'`);
        ema.set(name, tensor(trainer.device, await reader.readF32(key), p.shape));
      }
      trainer.ema.load(ema);
    }
    trainer.step = state.step;
    return state;
  } catch (e) {
    if (e instanceof TrainingCheckpointError) throw e;
    throw new TrainingCheckpointError(`${path}: not a usable training checkpoint (${(e as Error).message})${hint(path)}`);
  } finally {
    await reader.close();
  }
}

const hint = (path: string) => (existsSync(previousPath(path)) ? `; the previous checkpoint is ${previousPath(path)}` : '');

async function openCheckpoint(path: string): Promise<SafetensorsReader> {
  if (!existsSync(path)) throw new TrainingCheckpointError(`${path}: no checkpoint there${hint(path)}`);
  try {
    return await SafetensorsReader.open(await FileSource.open(path));
  } catch (e) {
    throw new TrainingCheckpointError(`${path}: cannot be read as a checkpoint (${(e as Error).message})${hint(path)}`);
  }
}

function trainingState(reader: SafetensorsReader, path: string): TrainingState<unknown> {
  const json = reader.metadata[TRAINING_METADATA_KEY];
  if (!json) throw new TrainingCheckpointError(`${path}: no '${TRAINING_METADATA_KEY}' metadata: not a cleardit training checkpoint${hint(path)}`);
  const state = JSON.parse(json) as TrainingState<unknown>;
  if (!Number.isInteger(state.step) || state.step < 0 || typeof state.config !== 'object')
    throw new TrainingCheckpointError(`${path}: damaged '${TRAINING_METADATA_KEY}' metadata${hint(path)}`);
  return state;
}
