// Writing a file so that nothing is lost: the bytes go to `<path>.tmp-<pid>-<random>` beside the
// target, are fsynced, then the temp file is put in place — renamed over the target when overwriting
// is asked for, else hard-linked (which fails if the target appeared meanwhile). Readers see the old
// file or the complete new one, never a part; on any error the temp file is removed.
import { open, lstat, rename, unlink, link, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ClearditError, InputError } from '../errors.js';

/** The target exists and overwriting was not asked for. The existing file is untouched. */
export class OutputExistsError extends InputError {
  override name = 'OutputExistsError';
  constructor(readonly path: string) {
    super(`${path} exists; refusing to overwrite it (ask for overwrite to replace it)`);
  }
}

/** The file could not be written (permissions, disk full, missing folder...). */
export class FileWriteError extends ClearditError {
  override name = 'FileWriteError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: cannot write (${reason})`);
  }
}

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;
const why = (e: unknown): string => (e as Error)?.message ?? String(e);

export interface WriteAtomicOptions {
  /** Replace an existing file. Without it an existing target is an OutputExistsError and is left untouched. */
  overwrite?: boolean;
}

export async function writeFileAtomic(path: string, data: Uint8Array | AsyncIterable<Uint8Array>, opts: WriteAtomicOptions = {}): Promise<void> {
  const overwrite = opts.overwrite === true;
  if (!overwrite && (await exists(path))) throw new OutputExistsError(path);
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let handle: FileHandle | null = null;
  try {
    handle = await open(tmp, 'wx');
    const chunks = data instanceof Uint8Array ? [data] : data;
    for await (const chunk of chunks) {
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
    if (e instanceof ClearditError) throw e;
    throw new FileWriteError(path, why(e));
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
    if (code(e) === 'EEXIST' || (await exists(path))) throw new OutputExistsError(path);
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
    throw new FileWriteError(path, `cannot check whether it exists: ${why(e)}`);
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
