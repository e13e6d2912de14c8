// A size-class pool of GPU storage buffers. GPU memory is never left to the garbage collector:
// tensors return their buffers here on dispose, and the next tensor of the same class reuses them.
// Classes step four times per octave (waste ≤ 25%), from 256 bytes up.
//
// Reuse is safe without fences: WebGPU orders every dispatch and copy on one queue, so a buffer
// released by one op and handed to the next is only written after the earlier reads. Uploads are the
// exception (queue.writeBuffer jumps ahead of unsubmitted work); Device.write flushes first.

import { DeviceLimitError } from '../errors.js';

export interface PoolStats {
  /** Bytes of every GPU buffer the pool has created and not destroyed (in use + free). */
  allocatedBytes: number;
  /** Bytes held by live tensors. */
  inUseBytes: number;
  /** Bytes parked in free lists, ready for reuse. */
  freeBytes: number;
  buffers: number;
}

const USAGE = 0x80 /* STORAGE */ | 0x04 /* COPY_SRC */ | 0x08; /* COPY_DST */

export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const octave = 2 ** Math.floor(Math.log2(bytes));
  const step = octave / 4;
  const c = Math.ceil(bytes / step) * step;
  return Math.ceil(c / 256) * 256;
}

export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private stats_ = { allocatedBytes: 0, inUseBytes: 0, freeBytes: 0, buffers: 0 };

  constructor(
    private readonly gpu: GPUDevice,
    private readonly maxBufferSize: number,
  ) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(Math.max(4, bytes));
    if (size > this.maxBufferSize) {
      if (bytes > this.maxBufferSize) throw new DeviceLimitError('buffer', bytes, this.maxBufferSize, 'Use a smaller size or an adapter with larger buffers');
      return this.create(bytes); // the class would round past the limit: make an exact-size buffer
    }
    const list = this.free.get(size);
    const buf = list?.pop();
    if (buf) {
      this.stats_.freeBytes -= buf.size;
      this.stats_.inUseBytes += buf.size;
      return buf;
    }
    return this.create(size);
  }

  private create(size: number): GPUBuffer {
    const buf = this.gpu.createBuffer({ size: Math.ceil(size / 4) * 4, usage: USAGE });
    this.stats_.allocatedBytes += buf.size;
    this.stats_.inUseBytes += buf.size;
    this.stats_.buffers++;
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = buf.size;
    this.stats_.inUseBytes -= size;
    this.stats_.freeBytes += size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buf);
  }

  /** Destroys every free buffer (memory goes back to the driver). */
  trim(): void {
    for (const list of this.free.values())
      for (const b of list) {
        this.stats_.allocatedBytes -= b.size;
        this.stats_.freeBytes -= b.size;
        this.stats_.buffers--;
        b.destroy();
      }
    this.free.clear();
  }

  stats(): PoolStats {
    return { ...this.stats_ };
  }
}
