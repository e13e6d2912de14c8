// Safetensors on the Node file system: a ByteSource that reads ranges at positions through a FileHandle,
// and an atomic writer (temp file in the same directory, fsync, rename). Leaves out parsing and encoding
// (../safetensors).

import { open, type FileHandle } from 'node:fs/promises';
import { writeFileAtomic, OutputExistsError, FileWriteError } from './atomic.js';
import { SafetensorsError } from '../errors.js';
import type { ByteSource } from '../safetensors/source.js';
import { buildHeader, safetensorsChunks, type TensorToWrite } from '../safetensors/writer.js';

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;
const why = (e: unknown): string => (e as Error)?.message ?? String(e);

export class FileSource implements ByteSource {
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    readonly name: string,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (e) {
      if (code(e) === 'ENOENT') throw new SafetensorsError(path, 'no such file');
      throw new SafetensorsError(path, `cannot open (${why(e)})`);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new SafetensorsError(path, 'is not a regular file');
      return new FileSource(handle, path, st.size);
    } catch (e) {
      await handle.close().catch(() => {});
      throw e instanceof SafetensorsError ? e : new SafetensorsError(path, `cannot stat (${why(e)})`);
    }
  }

  /** A fresh buffer of exactly the bytes read (so the reader can view it without copying); short only at end of file. */
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (this.closed) throw new SafetensorsError(this.name, 'read after close()');
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.handle.read(buf, got, length - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.slice(0, got);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

export interface WriteSafetensorsOptions {
  /** Replace an existing file. Without it an existing target is an error and is left untouched. */
  overwrite?: boolean;
}

/** Writes a safetensors file atomically (writeFileAtomic), streaming tensor by tensor. */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
  opts: WriteSafetensorsOptions = {},
): Promise<void> {
  buildHeader(tensors, metadata, path); // validate before touching the disk
  try {
    await writeFileAtomic(path, safetensorsChunks(tensors, metadata, path), opts);
  } catch (e) {
    if (e instanceof OutputExistsError) throw new SafetensorsError(path, 'exists; pass overwrite: true to replace it');
    if (e instanceof FileWriteError) throw new SafetensorsError(path, e.message.slice(path.length + 2));
    throw e;
  }
}
