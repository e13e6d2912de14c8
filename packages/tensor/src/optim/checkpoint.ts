// Training checkpoints in safetensors: every parameter under `param.<name>`, the optimizer's state
// tensors under `optim.<param>.<state>`, and its scalars (step counters, Prodigy's d, …) as JSON in the
// metadata key `cleardit.optimizer`. f32 values and JSON numbers round-trip exactly, so loading a
// checkpoint and continuing gives bit for bit the parameters an uninterrupted run gives.
// Platform-neutral; ../node/checkpoint.ts writes and reads files.

import type { Tensor } from '../tensor.js';
import { tensor } from '../create.js';
import { ClearditError } from '../errors.js';
import type { TensorToWrite } from '../safetensors/writer.js';
import type { SafetensorsReader } from '../safetensors/reader.js';
import { namedParams, type NamedParams, type Optimizer } from './optimizer.js';

export const CHECKPOINT_METADATA_KEY = 'cleardit.optimizer';

export interface Checkpoint {
  tensors: Record<string, TensorToWrite>;
  metadata: Record<string, string>;
}

/** Reads parameters and optimizer state back from the GPU into what the safetensors writer takes. */
export async function checkpointTensors(params: NamedParams, optimizer?: Optimizer): Promise<Checkpoint> {
  const tensors: Record<string, TensorToWrite> = {};
  const add = async (name: string, t: Tensor) => {
    tensors[name] = { dtype: 'F32', shape: [...t.shape], data: await t.toFloat32() };
  };
  for (const [name, t] of namedParams(params)) await add(`param.${name}`, t);
  const metadata: Record<string, string> = {};
  if (optimizer) {
    for (const [name, t] of Object.entries(optimizer.stateTensors())) await add(`optim.${name}`, t);
    metadata[CHECKPOINT_METADATA_KEY] = JSON.stringify(optimizer.stateScalars());
  }
  return { tensors, metadata };
}

/**
 * Loads a checkpoint: parameter values are written into the existing parameter tensors (so models
 * keep their references), and the optimizer's state is replaced.
 */
export async function loadCheckpoint(reader: SafetensorsReader, params: NamedParams, optimizer?: Optimizer): Promise<void> {
  for (const [name, t] of namedParams(params)) {
    const key = `param.${name}`;
    if (!reader.has(key)) throw new ClearditError(`loadCheckpoint: ${reader.name} has no parameter '${name}'`);
    const info = reader.info(key);
    if (info.shape.length !== t.shape.length || info.shape.some((d, i) => d !== t.shape[i]))
      throw new ClearditError(`loadCheckpoint: '${name}' is [${info.shape.join(',')}] in ${reader.name}, [${t.shape.join(',')}] in the model`);
    const data = await reader.readF32(key);
    if (data.length) t.device.write(t.buffer, data);
  }
  if (!optimizer) return;
  const json = reader.metadata[CHECKPOINT_METADATA_KEY];
  if (!json) throw new ClearditError(`loadCheckpoint: ${reader.name} holds no optimizer state`);
  const scalars = JSON.parse(json) as Record<string, unknown>;
  const state = new Map<string, Tensor>();
  try {
    for (const key of reader.keys()) {
      if (!key.startsWith('optim.')) continue;
      state.set(key.slice('optim.'.length), tensor(optimizer.device, await reader.readF32(key), reader.info(key).shape).keep());
    }
    optimizer.loadState(state, scalars);
  } catch (e) {
    for (const t of state.values()) t.dispose();
    throw e;
  }
  // tensors the optimizer did not take
  const taken = new Set(Object.values(optimizer.stateTensors()));
  for (const t of state.values()) if (!taken.has(t)) t.dispose();
}
