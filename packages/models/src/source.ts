// A checkpoint as one set of named tensors, however it is stored: one safetensors file, or shards
// listed by a *.safetensors.index.json. Tensors are read one at a time, never the whole file.
import { SafetensorsReader, SafetensorsError, storedToFloats, type StoredTensor } from '@cleardit/tensor';

export interface TensorInfo {
  dtype: string;
  shape: readonly number[];
}

export interface TensorSource {
  readonly name: string;
  readonly metadata: Readonly<Record<string, string>>;
  keys(): string[];
  info(key: string): TensorInfo;
  /** The tensor widened to float32 (F16, BF16 and integers are converted on the host). */
  readF32(key: string): Promise<Float32Array>;
  /** The stored values without conversion (F16/BF16 as 16-bit patterns), for weights kept in 16 bits. */
  readHost(key: string): Promise<StoredTensor>;
  close(): Promise<void>;
}

/** Several readers seen as one (shards); `prefix` is stripped from every key (e.g. "model.diffusion_model."). */
export class ReaderSource implements TensorSource {
  private where = new Map<string, { reader: SafetensorsReader; key: string }>();
  readonly metadata: Readonly<Record<string, string>>;

  constructor(
    readonly name: string,
    private readonly readers: SafetensorsReader[],
    prefix = '',
  ) {
    this.metadata = readers[0]?.metadata ?? {};
    for (const reader of readers)
      for (const key of reader.keys()) {
        if (!key.startsWith(prefix)) continue;
        const k = key.slice(prefix.length);
        if (this.where.has(k)) throw new SafetensorsError(reader.name, `tensor '${key}' appears in two shards`);
        this.where.set(k, { reader, key });
      }
  }

  keys(): string[] {
    return [...this.where.keys()];
  }

  private at(key: string) {
    const w = this.where.get(key);
    if (!w) throw new SafetensorsError(this.name, `no tensor '${key}'`);
    return w;
  }

  info(key: string): TensorInfo {
    const w = this.at(key);
    return w.reader.info(w.key);
  }

  readHost(key: string): Promise<StoredTensor> {
    const w = this.at(key);
    return w.reader.readHost(w.key);
  }

  async readF32(key: string): Promise<Float32Array> {
    return storedToFloats(await this.readHost(key));
  }

  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close()));
  }
}

/** Picks the prefix under which a file keeps its weights (golden files use "weights.", ComfyUI "model.diffusion_model."). */
export function weightPrefix(keys: string[]): string {
  for (const p of ['weights.', 'model.diffusion_model.', 'first_stage_model.']) if (keys.some((k) => k.startsWith(p))) return p;
  return '';
}
