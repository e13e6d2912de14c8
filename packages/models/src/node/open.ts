// Opening checkpoints from the file system — one safetensors file, a sharded *.safetensors.index.json,
// or a diffusers folder — and the default memory budget for an adapter.
import { readFile, stat, readdir } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { join, dirname, basename } from 'node:path';
import { SafetensorsReader, type Device } from '@cleardit/tensor';
import { FileSource } from '@cleardit/tensor/node';
import { ReaderSource, weightPrefix, type TensorSource } from '../source.js';
import { CheckpointError } from '../checkpoint.js';

async function openFile(path: string): Promise<SafetensorsReader> {
  return SafetensorsReader.open(await FileSource.open(path));
}

async function fromReaders(name: string, readers: SafetensorsReader[]): Promise<TensorSource> {
  const keys = readers.flatMap((r) => r.keys());
  return new ReaderSource(name, readers, weightPrefix(keys));
}

/** Opens a checkpoint: a .safetensors file, a .safetensors.index.json (shards), or a folder holding either (diffusers layout: transformer/, vae/). */
export async function openCheckpoint(path: string, subfolder?: string): Promise<TensorSource> {
  let s;
  try {
    s = await stat(path);
  } catch {
    throw new CheckpointError(`${path}: no such file or folder`);
  }
  if (s.isDirectory()) {
    const dir = subfolder ? join(path, subfolder) : path;
    const names = await readdir(dir).catch(() => [] as string[]);
    const index = names.find((n) => n.endsWith('.safetensors.index.json'));
    if (index) return openCheckpoint(join(dir, index));
    const files = names.filter((n) => n.endsWith('.safetensors'));
    if (files.length === 1) return openCheckpoint(join(dir, files[0]));
    for (const sub of ['transformer', 'vae']) if (!subfolder && names.includes(sub)) return openCheckpoint(path, sub);
    throw new CheckpointError(`${dir}: no single .safetensors file or *.safetensors.index.json here (found ${files.length} .safetensors files)`);
  }
  if (path.endsWith('.index.json')) {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readFile(path, 'utf8'));
    } catch (e) {
      throw new CheckpointError(`${path}: not a valid JSON shard index (${(e as Error).message})`);
    }
    if (!index.weight_map) throw new CheckpointError(`${path}: shard index has no weight_map`);
    const shards = [...new Set(Object.values(index.weight_map))];
    const readers = await Promise.all(shards.map((f) => openFile(join(dirname(path), f))));
    return fromReaders(basename(path), readers);
  }
  return fromReaders(path, [await openFile(path)]);
}

/**
 * Bytes cleardit lets weights take: system memory on software adapters (their "GPU memory" is RAM,
 * leave a quarter); unknown (no limit but bindings) on hardware, unless given.
 */
export function defaultMemoryBudget(device: Device): number | undefined {
  return device.adapter.software ? Math.floor(totalmem() * 0.75) : undefined;
}
