// GPU time from timestamp queries, for benchmarks: while a timer runs, every compute pass the Device
// begins writes a timestamp at its start and end; at each submit the pairs are resolved and copied out,
// and total() sums (end − start) over all passes. Idle time between passes and the host's recording are
// not counted, which is the point: this is the kernels' own time, beside the wall time a caller sees.
// Needs the adapter's 'timestamp-query' feature; software adapters here do not have it.

const PASSES_PER_SUBMIT = 1024;

export class GpuTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private used = 0;
  private overflowed = false;
  private readonly readbacks: GPUBuffer[] = [];

  constructor(private readonly gpu: GPUDevice) {
    this.querySet = gpu.createQuerySet({ type: 'timestamp', count: 2 * PASSES_PER_SUBMIT, label: 'cleardit gpu timer' });
    this.resolveBuffer = gpu.createBuffer({ size: 16 * PASSES_PER_SUBMIT, usage: 0x200 /* QUERY_RESOLVE */ | 0x04 /* COPY_SRC */ });
  }

  /** What the next compute pass is begun with: its two timestamp slots, or nothing once they run out. */
  passDescriptor(): GPUComputePassDescriptor {
    if (this.used >= PASSES_PER_SUBMIT) {
      this.overflowed = true;
      return {};
    }
    const i = 2 * this.used++;
    return { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: i, endOfPassWriteIndex: i + 1 } };
  }

  /** Called before an encoder is finished: resolves this submit's timestamps into a readback copy. */
  resolve(encoder: GPUCommandEncoder): void {
    if (!this.used) return;
    const bytes = 16 * this.used;
    const readback = this.gpu.createBuffer({ size: bytes, usage: 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */ });
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.used, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, readback, 0, bytes);
    this.used = 0;
    // mapped only in total(), after the submit that fills it: a buffer pending a map cannot be submitted
    this.readbacks.push(readback);
  }

  /** Total GPU milliseconds of the timed passes; null when some passes went untimed. */
  async total(): Promise<number | null> {
    let ns = 0;
    for (const b of this.readbacks) {
      await b.mapAsync(0x0001 /* READ */);
      const t = new BigUint64Array(b.getMappedRange().slice(0));
      b.destroy();
      for (let k = 0; k + 1 < t.length; k += 2) if (t[k + 1] > t[k]) ns += Number(t[k + 1] - t[k]);
    }
    this.readbacks.length = 0;
    return this.overflowed ? null : ns / 1e6;
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
  }
}
