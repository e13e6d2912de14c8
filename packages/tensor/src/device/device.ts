// The Device: one GPUDevice plus what every op needs from it — a buffer pool, a pipeline cache keyed
// by WGSL source, a command batch that many dispatches share before one submit, deferred error
// reporting (compile errors with source context, out-of-memory, device loss), and tensor scopes.
// It is platform-neutral: Node picks an adapter in ../node/adapter.ts, browsers in ./browser.ts.

import { DeviceLostError, KernelCompileError, OutOfMemoryError, DeviceLimitError, ClearditError } from '../errors.js';
import { BufferPool } from './pool.js';
import { formatCompileError } from './compile-error.js';
import { GpuTimer } from './gpu-timer.js';

export interface AdapterDescription {
  /** Short name: 'llvmpipe', 'swiftshader', or the hardware device's name. */
  name: string;
  /** 'vulkan' | 'opengl' | 'metal' | 'd3d12' | 'browser' ... */
  backend: string;
  vendor: string;
  description: string;
  /** True for CPU (software) adapters. */
  software: boolean;
  featureLevel: 'core' | 'compatibility';
  /** Why this adapter was chosen. */
  reason: string;
}

/**
 * What a kernel binds: inputs are read-only storage, outputs read-write storage, then (when `params`
 * is given) a uniform parameter block, in that order. Kernels are written by ops/kernel.ts.
 */
export interface KernelLaunch {
  name: string;
  code: string;
  inputs: readonly GPUBuffer[];
  outputs: readonly GPUBuffer[];
  workgroups: readonly [number, number?, number?];
  /** The parameter block's words (a multiple of 4, at most 64). */
  params?: Uint32Array;
}

interface Disposable_ {
  dispose(): void;
}

const MAX_DISPATCHES_PER_SUBMIT = 256;
const MAX_PIPELINES = 2048;
const MAX_PARAM_BYTES = 256;

export class Device {
  readonly pool: BufferPool;
  readonly features: ReadonlySet<string>;
  readonly limits: GPUSupportedLimits;
  private pipelines = new Map<string, GPUComputePipeline>();
  private layouts = new Map<string, GPUBindGroupLayout>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private pendingErrors: Promise<Error | null>[] = [];
  private lostInfo: GPUDeviceLostInfo | null = null;
  private lostPromise: Promise<GPUDeviceLostInfo>;
  private scopes: Set<Disposable_>[] = [];
  // Parameter blocks of the dispatches recorded since the last submit, uploaded just before it
  // (queue order puts the upload after every earlier submit and before this one).
  private paramArena: GPUBuffer;
  private paramHost: Uint32Array;
  private paramBytes = 0;
  private readonly paramAlign: number;
  private timer: GpuTimer | null = null;
  /** Counters for benchmarks and tests. */
  readonly counters = { dispatches: 0, submits: 0, pipelinesCompiled: 0 };
  /**
   * Which kernel variants the ops pick: 'software' (CPU-shaped: one invocation per row, several
   * tokens per attention invocation, the CPU matmul) or 'hardware' (GPU-shaped). The adapter decides
   * by default; tests force 'hardware' on a software adapter so the kernels every GPU runs are tested.
   */
  kernels: 'software' | 'hardware';

  constructor(
    readonly gpu: GPUDevice,
    readonly adapter: AdapterDescription,
  ) {
    this.features = new Set(gpu.features as unknown as Iterable<string>);
    this.kernels = adapter.software ? 'software' : 'hardware';
    this.limits = gpu.limits;
    this.pool = new BufferPool(gpu, gpu.limits.maxBufferSize);
    this.paramAlign = Math.max(MAX_PARAM_BYTES, gpu.limits.minUniformBufferOffsetAlignment);
    const arenaBytes = this.paramAlign * MAX_DISPATCHES_PER_SUBMIT;
    this.paramArena = gpu.createBuffer({ size: arenaBytes, usage: 0x40 /* UNIFORM */ | 0x08 /* COPY_DST */, label: 'cleardit kernel parameters' });
    this.paramHost = new Uint32Array(arenaBytes / 4);
    this.lostPromise = gpu.lost.then((info) => {
      this.lostInfo = info;
      return info;
    });
  }

  /** Requests a device with the adapter's real limits and the features cleardit can use. */
  static async fromAdapter(adapter: GPUAdapter, description: AdapterDescription): Promise<Device> {
    const wanted = ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[];
    const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
    const requiredLimits: Record<string, number> = {};
    const lim = adapter.limits as unknown as Record<string, number>;
    for (const key in lim) {
      const v = lim[key];
      if (typeof v === 'number') requiredLimits[key] = v;
    }
    const gpu = await adapter.requestDevice({ requiredFeatures, requiredLimits, label: `cleardit on ${description.name}` });
    return new Device(gpu, description);
  }

  get lost(): boolean {
    return this.lostInfo !== null;
  }

  private checkAlive(): void {
    if (this.lostInfo) throw new DeviceLostError(`the GPU device was lost (${this.lostInfo.reason}): ${this.lostInfo.message}`);
  }

  // ---- buffers -----------------------------------------------------------------------------------

  /** Checks a storage binding against the adapter's limit before any work is recorded. */
  checkBinding(op: string, bytes: number): void {
    const max = this.limits.maxStorageBufferBindingSize;
    if (bytes > max) throw new DeviceLimitError(`${op}: storage binding`, bytes, max, 'Split the work or pick an adapter with larger bindings');
  }

  allocate(bytes: number): GPUBuffer {
    this.checkAlive();
    this.checkBinding('allocate', bytes);
    return this.pool.acquire(bytes);
  }

  /** Uploads bytes into a buffer. Flushes first: writeBuffer would otherwise overtake recorded work. */
  write(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.checkAlive();
    this.flush();
    let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4) {
      const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      padded.set(bytes);
      bytes = padded;
    }
    this.gpu.queue.writeBuffer(buffer, offset, bytes as Uint8Array<ArrayBuffer>);
  }

  /** Copies `bytes` from a buffer back to the host. Submits everything recorded so far. */
  async read(buffer: GPUBuffer, bytes: number, offset = 0): Promise<ArrayBuffer> {
    this.checkAlive();
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.gpu.createBuffer({ size: Math.max(4, size), usage: 0x01 /* MAP_READ */ | 0x08 /* COPY_DST */ });
    this.endPass();
    this.currentEncoder().copyBufferToBuffer(buffer, offset, staging, 0, size);
    this.flush();
    try {
      await Promise.race([
        staging.mapAsync(0x01 /* READ */),
        this.lostPromise.then((i) => {
          throw new DeviceLostError(`the GPU device was lost while reading back (${i.reason}): ${i.message}`);
        }),
      ]);
      await this.throwPendingErrors();
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      if (staging.mapState === 'mapped') staging.unmap();
      staging.destroy();
    }
  }

  // ---- kernels -----------------------------------------------------------------------------------

  private layoutFor(nIn: number, nOut: number, uniform: boolean): GPUBindGroupLayout {
    const key = `${nIn}:${nOut}:${uniform}`;
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < nIn + nOut; i++)
        entries.push({ binding: i, visibility: 0x4 /* COMPUTE */, buffer: { type: i < nIn ? 'read-only-storage' : 'storage' } });
      if (uniform) entries.push({ binding: nIn + nOut, visibility: 0x4, buffer: { type: 'uniform' } });
      layout = this.gpu.createBindGroupLayout({ entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  /** Compiles (or finds in the cache) the pipeline for this WGSL source. Errors surface on the next read or sync. */
  pipeline(name: string, code: string, nIn: number, nOut: number, uniform = false): GPUComputePipeline {
    const key = `${nIn}:${nOut}:${uniform}\n${code}`;
    let p = this.pipelines.get(key);
    if (p) {
      // most recently used last, so eviction below drops the longest unused
      this.pipelines.delete(key);
      this.pipelines.set(key, p);
      return p;
    }
    // Runtime values travel in parameter blocks, so the cache holds one pipeline per kernel variant
    // and shape family; bound it anyway rather than let it grow for the process's lifetime.
    if (this.pipelines.size >= MAX_PIPELINES) this.pipelines.delete(this.pipelines.keys().next().value!);
    this.gpu.pushErrorScope('validation');
    const module = this.gpu.createShaderModule({ code, label: name });
    p = this.gpu.createComputePipeline({
      label: name,
      layout: this.gpu.createPipelineLayout({ bindGroupLayouts: [this.layoutFor(nIn, nOut, uniform)] }),
      compute: { module, entryPoint: 'main' },
    });
    this.counters.pipelinesCompiled++;
    this.pendingErrors.push(
      this.gpu.popErrorScope().then(async (err) => {
        if (!err) return null;
        const info = await module.getCompilationInfo();
        return new KernelCompileError(name, formatCompileError(name, code, info.messages, err.message));
      }),
    );
    this.pipelines.set(key, p);
    return p;
  }

  /** Records one dispatch into the current batch. */
  dispatch(k: KernelLaunch): void {
    this.checkAlive();
    const [x, y = 1, z = 1] = k.workgroups;
    const maxWg = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxWg || y > maxWg || z > maxWg)
      throw new ClearditError(`${k.name}: dispatch of ${x}×${y}×${z} workgroups exceeds the adapter's ${maxWg} per dimension`);
    if (x === 0 || y === 0 || z === 0) return;
    const uniform = k.params !== undefined;
    const pipeline = this.pipeline(k.name, k.code, k.inputs.length, k.outputs.length, uniform);
    const entries: GPUBindGroupEntry[] = [...k.inputs, ...k.outputs].map((buffer, binding) => ({ binding, resource: { buffer } }));
    if (k.params) {
      if (k.params.byteLength > MAX_PARAM_BYTES)
        throw new ClearditError(`${k.name}: parameter block of ${k.params.byteLength} bytes exceeds ${MAX_PARAM_BYTES}`);
      const offset = this.paramBytes;
      this.paramHost.set(k.params, offset / 4);
      this.paramBytes += this.paramAlign;
      entries.push({ binding: entries.length, resource: { buffer: this.paramArena, offset, size: Math.max(16, k.params.byteLength) } });
    }
    const bindGroup = this.gpu.createBindGroup({ layout: this.layoutFor(k.inputs.length, k.outputs.length, uniform), entries });
    if (!this.pass) this.pass = this.currentEncoder().beginComputePass(this.timer?.passDescriptor());
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
    if (++this.dispatches >= MAX_DISPATCHES_PER_SUBMIT) this.flush();
  }

  /** Records a buffer-to-buffer copy. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checkAlive();
    this.endPass();
    this.currentEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  private currentEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.gpu.pushErrorScope('out-of-memory');
      this.gpu.pushErrorScope('validation');
      this.encoder = this.gpu.createCommandEncoder();
    }
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** Submits everything recorded so far. Cheap when nothing is pending. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.timer?.resolve(this.encoder);
    if (this.paramBytes) this.gpu.queue.writeBuffer(this.paramArena, 0, this.paramHost as Uint32Array<ArrayBuffer>, 0, this.paramBytes / 4);
    this.gpu.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.dispatches = 0;
    this.paramBytes = 0;
    this.counters.submits++;
    const validation = this.gpu.popErrorScope();
    const oom = this.gpu.popErrorScope();
    this.pendingErrors.push(
      validation.then((e) => (e ? new ClearditError(`GPU validation error: ${e.message}`) : null)),
      oom.then((e) => (e ? new OutOfMemoryError(`the GPU ran out of memory: ${e.message}`) : null)),
    );
  }

  private async throwPendingErrors(): Promise<void> {
    if (!this.pendingErrors.length) return;
    const pending = this.pendingErrors;
    this.pendingErrors = [];
    const errors = (await Promise.all(pending)).filter((e): e is Error => e !== null);
    if (errors.length) throw errors[0];
  }

  /** Whether startGpuTimer() can measure: the adapter has timestamp queries. */
  get canTimeGpu(): boolean {
    return this.features.has('timestamp-query');
  }

  /**
   * Starts summing the GPU time of every compute pass recorded from now on (gpu-timer.ts). Flushes
   * first so that earlier work is not counted. Throws when the adapter has no timestamp queries.
   */
  startGpuTimer(): void {
    if (!this.canTimeGpu) throw new ClearditError(`startGpuTimer: the adapter '${this.adapter.name}' has no 'timestamp-query' feature`);
    if (this.timer) throw new ClearditError('startGpuTimer: a timer is already running');
    this.flush();
    this.timer = new GpuTimer(this.gpu);
  }

  /** Waits for the timed work and returns its GPU milliseconds (null when some passes went untimed). */
  async stopGpuTimer(): Promise<number | null> {
    const timer = this.timer;
    if (!timer) throw new ClearditError('stopGpuTimer: no timer is running');
    this.flush();
    this.timer = null;
    await this.sync();
    const ms = await timer.total();
    timer.destroy();
    return ms;
  }

  /** Waits until the GPU has finished all submitted work; throws any deferred error. */
  async sync(): Promise<void> {
    this.checkAlive();
    this.flush();
    await Promise.race([
      this.gpu.queue.onSubmittedWorkDone(),
      this.lostPromise.then((i) => {
        throw new DeviceLostError(`the GPU device was lost (${i.reason}): ${i.message}`);
      }),
    ]);
    await this.throwPendingErrors();
  }

  // ---- scopes ------------------------------------------------------------------------------------

  /** @internal Registers a new tensor with the innermost scope. */
  track(t: Disposable_): void {
    this.scopes[this.scopes.length - 1]?.add(t);
  }

  /** @internal Removes a tensor from every scope (it was disposed, or kept). */
  untrack(t: Disposable_): void {
    for (const s of this.scopes) s.delete(t);
  }

  /**
   * Runs `fn`; every tensor created inside and not returned is disposed when it ends. Returned tensors
   * (alone, in an array or in a plain object) move to the enclosing scope. `fn` must be synchronous:
   * recording is synchronous, so this covers any amount of GPU work.
   */
  scope<T>(fn: () => T): T {
    const mine = new Set<Disposable_>();
    this.scopes.push(mine);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.scopes.pop();
      for (const t of mine) t.dispose();
      throw e;
    }
    this.scopes.pop();
    const kept = new Set<unknown>();
    collectKept(result, kept);
    for (const t of mine) {
      if (kept.has(t)) this.track(t);
      else t.dispose();
    }
    return result;
  }

  /** Releases the pipeline cache and every pooled buffer, then the device itself. */
  destroy(): void {
    this.flush();
    this.pool.trim();
    this.pipelines.clear();
    this.paramArena.destroy();
    this.gpu.destroy();
  }
}

function collectKept(v: unknown, out: Set<unknown>, depth = 0): void {
  if (!v || typeof v !== 'object' || depth > 3) return;
  out.add(v);
  if (Array.isArray(v)) for (const x of v) collectKept(x, out, depth + 1);
  else if (Object.getPrototypeOf(v) === Object.prototype) for (const x of Object.values(v)) collectKept(x, out, depth + 1);
}
