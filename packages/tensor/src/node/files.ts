// Safetensors on the Node file system: a ByteSource that reads ranges at positions through a FileHandle,
// and an atomic writer (temp file in the same directory, fsync, rename). Leaves out parsing and encoding
// (../safetensors).

import { open, lstat, rename, unlink, link, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
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

/**
 * Writes a safetensors file atomically: readers see the old file or the complete new one, never a part.
 * The data streams tensor by tensor into `<path>.tmp-<pid>-<random>` beside the target, is fsynced, then
 * renamed over it. On any error the temp file is removed.
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, TensorToWrite>,
  metadata?: Record<string, string>,
  opts: WriteSafetensorsOptions = {},
): Promise<void> {
  buildHeader(tensors, metadata, path); // validate before touching the disk
  const overwrite = opts.overwrite === true;
  if (!overwrite && (await exists(path))) throw new SafetensorsError(path, 'exists; pass overwrite: true to replace it');

  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let handle: FileHandle | null = null;
  try {
    handle = await open(tmp, 'wx');
    for await (const chunk of safetensorsChunks(tensors, metadata, path)) {
      let done = 0;
      while (done < chunk.length) done += (await handle.write(chunk, done, chunk.length - done)).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = null;
    if (overwrite) await rename(tmp, path);
    else await placeNoClobber(tmp, path);
    await syncDir(dirname(path));
  } catch (e) {
    await handle?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    if (e instanceof SafetensorsError) throw e;
    throw new SafetensorsError(path, `cannot write (${why(e)})`);
  }
}

/**
 * rename() would replace a file created since the check above; link() fails instead, which keeps the
 * no-overwrite promise under races. Filesystems without hard links fall back to check-then-rename.
 */
async function placeNoClobber(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
  } catch (e) {
    if (code(e) === 'EEXIST') throw new SafetensorsError(path, 'exists; pass overwrite: true to replace it');
    if (await exists(path)) throw new SafetensorsError(path, 'exists; pass overwrite: true to replace it');
    await rename(tmp, path);
    return;
  }
  await unlink(tmp);
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if (code(e) === 'ENOENT') return false;
    throw new SafetensorsError(path, `cannot check whether it exists (${why(e)})`);
  }
}

/** Makes the rename itself durable. Best effort: Windows cannot open a directory for fsync. */
async function syncDir(dir: string): Promise<void> {
  let h: FileHandle | null = null;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    // not fatal: the data is already synced, only the directory entry may lag a crash
  } finally {
    await h?.close().catch(() => {});
  }
}
