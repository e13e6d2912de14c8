// Training checkpoints as safetensors files (the format is in ../optim/checkpoint.ts).
import { SafetensorsReader } from '../safetensors/reader.js';
import { checkpointTensors, loadCheckpoint, type NamedParams, type Optimizer } from '../optim/index.js';
import { FileSource, writeSafetensorsFile } from './files.js';

/** Writes parameters and optimizer state atomically to `path` (replacing an existing file). */
export async function saveCheckpointFile(path: string, params: NamedParams, optimizer?: Optimizer): Promise<void> {
  const { tensors, metadata } = await checkpointTensors(params, optimizer);
  await writeSafetensorsFile(path, tensors, metadata, { overwrite: true });
}

/** Loads what saveCheckpointFile wrote into existing parameters and an optimizer built the same way. */
export async function loadCheckpointFile(path: string, params: NamedParams, optimizer?: Optimizer): Promise<void> {
  const reader = await SafetensorsReader.open(await FileSource.open(path));
  try {
    await loadCheckpoint(reader, params, optimizer);
  } finally {
    await reader.close();
  }
}
