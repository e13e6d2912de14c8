// Where a safetensors reader gets its bytes: a random-access, read-only byte range interface, plus the
// platform-neutral sources (bytes already in memory, a browser Blob/File). The Node file source lives in
// ../node/files.ts so this module never imports 'fs'.

export interface ByteSource {
  /** Used in every error message about the file. */
  readonly name: string;
  readonly size: number;
  /**
   * Reads `length` bytes at `offset`. May return fewer only at the end of the source; the reader treats
   * a short read as a truncated file. The result may be a view into a larger buffer.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/** Bytes already in memory. Reads are views (no copy); the reader copies what it hands out. */
export class BytesSource implements ByteSource {
  readonly size: number;
  private readonly bytes: Uint8Array;

  constructor(
    data: Uint8Array | ArrayBuffer,
    readonly name = '<memory>',
  ) {
    this.bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    this.size = this.bytes.length;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const start = Math.min(offset, this.size);
    return this.bytes.subarray(start, Math.min(start + length, this.size));
  }
}

/** A browser Blob or File: each read slices just that range, so a multi-gigabyte File is never loaded whole. */
export class BlobSource implements ByteSource {
  readonly size: number;
  readonly name: string;

  constructor(
    private readonly blob: Blob,
    name?: string,
  ) {
    this.size = blob.size;
    const fileName = (blob as Partial<File>).name;
    this.name = name ?? (typeof fileName === 'string' && fileName ? fileName : '<blob>');
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
  }
}
